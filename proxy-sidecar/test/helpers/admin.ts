import { request } from 'node:http';
import type { Reply } from './http.js';
import { readReply } from './http.js';

/** Calls the admin API on 127.0.0.1:`port`. */
export function admin(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

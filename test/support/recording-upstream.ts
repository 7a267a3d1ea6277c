import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRequest {
  method: string;
  /** The Host header as it arrived (the name the workspace asked for, with its port). */
  host: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface RecordingUpstream {
  port: number;
  requests: UpstreamRequest[];
  /** Requests whose path starts with `prefix` (tests give each case its own path). */
  seen(prefix: string): UpstreamRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP server on 127.0.0.1 (ephemeral port) that answers `upstream <host> <path>` and records every
 * request, so a test can tell what reached it (and, as important, what did not).
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: UpstreamRequest[] = [];
  const server = http.createServer((req, res) => {
    const entry = {
      method: req.method ?? '',
      host: req.headers.host ?? '',
      path: req.url ?? '',
      headers: req.headers,
    };
    requests.push(entry);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`upstream ${entry.host} ${entry.path}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    seen: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

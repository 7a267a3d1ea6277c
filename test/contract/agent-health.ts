import http from 'node:http';
import type { AgentEndpoint } from '@berth/core';

/** One GET /health on an agent endpoint (Unix socket or TCP); resolves the status code. */
export function getHealth(endpoint: AgentEndpoint, timeoutMs = 1000): Promise<number> {
  const target =
    endpoint.kind === 'uds'
      ? { socketPath: endpoint.socketPath }
      : { host: endpoint.host, port: endpoint.port };
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, path: '/health', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('health request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until the agent answers 200; the socket appears some time after the container starts. */
export async function waitForHealth(endpoint: AgentEndpoint, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      if ((await getHealth(endpoint)) === 200) return Date.now() - started;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`agent at ${JSON.stringify(endpoint)} not healthy after ${timeoutMs} ms: ${String(last)}`);
}

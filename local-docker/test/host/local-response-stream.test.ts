import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalResponseStream } from '../../src/host/lambda-runtime-shim.js';

let server: http.Server | undefined;
afterEach(() => server?.close());

/** Serves one response written through a LocalResponseStream by `write`, and fetches it. */
async function serve(write: (s: LocalResponseStream) => void) {
  server = http.createServer((_req, res) => write(new LocalResponseStream(res)));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return new Promise<{
    headers: http.IncomingHttpHeaders;
    status: number;
    chunks: { at: number; text: string }[];
  }>((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ port, host: '127.0.0.1', path: '/' }, (res) => {
        const chunks: { at: number; text: string }[] = [];
        const headersAt = performance.now() - t0;
        res.on('data', (c: Buffer) => chunks.push({ at: performance.now() - t0, text: c.toString() }));
        res.on('end', () =>
          resolve({
            headers: { ...res.headers, 'x-headers-at': String(headersAt) },
            status: res.statusCode!,
            chunks,
          }),
        );
      })
      .on('error', reject);
  });
}

describe('LocalResponseStream', () => {
  it('sends a one-chunk body whole, with its Content-Length and status', async () => {
    const r = await serve((s) => {
      s.setMetadata({ statusCode: 201, headers: { 'content-type': 'application/json' } });
      s.end(Buffer.from('{"id":"ws_1"}'));
    });
    expect(r.status).toBe(201);
    expect(r.headers['content-length']).toBe('13');
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.chunks.map((c) => c.text).join('')).toBe('{"id":"ws_1"}');
  });

  it('sends an empty body with Content-Length 0 (204)', async () => {
    const r = await serve((s) => {
      s.setMetadata({ statusCode: 204, headers: {} });
      s.end();
    });
    expect(r.status).toBe(204);
    expect(r.chunks).toEqual([]);
  });

  it('streams a body of several chunks in order', async () => {
    const r = await serve((s) => {
      s.setMetadata({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
      s.write(Buffer.from('a'));
      s.write(Buffer.from('b'));
      s.end(Buffer.from('c'));
    });
    expect(r.chunks.map((c) => c.text).join('')).toBe('abc');
  });

  it('sends SSE headers and each event at once, not when the stream ends', async () => {
    const r = await serve((s) => {
      s.setMetadata({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
      s.write(Buffer.from('event: stdout\ndata: "one"\n\n'));
      setTimeout(() => s.end(Buffer.from('event: exit\ndata: {}\n\n')), 300);
    });
    expect(r.chunks[0]!.text).toContain('"one"');
    expect(r.chunks[0]!.at).toBeLessThan(200);
    expect(r.chunks.at(-1)!.at).toBeGreaterThanOrEqual(250);
  });
});

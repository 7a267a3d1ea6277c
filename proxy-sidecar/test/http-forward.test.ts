import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Upstream } from './helpers/http.js';
import { readUntilClose, startUpstream, viaProxy } from './helpers/http.js';
import type { TestProxy } from './helpers/proxy.js';
import { eventually, startTestProxy, testConfig } from './helpers/proxy.js';

describe('plain HTTP forwarding', () => {
  let upstream: Upstream;
  let sse: Upstream;
  let proxy: TestProxy;
  let releaseSecondChunk: () => void = () => undefined;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      res.writeHead(201, {
        'x-upstream': 'yes',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'drop me',
      });
      res.end(JSON.stringify({ url: req.url, method: req.method, body: req.body.toString() }));
    });
    sse = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: message\ndata: first\n\n');
      // The second event waits until the test says it saw the first one through the proxy.
      releaseSecondChunk = () => res.end('event: message\ndata: second\n\n');
    });
    proxy = await startTestProxy(
      testConfig({
        allow: `ok.test:${upstream.port},sse.test:${sse.port},gone.test:1,down.test:1`,
        testHosts: { 'ok.test': ['127.0.0.1'], 'sse.test': ['127.0.0.1'], 'down.test': ['127.0.0.1'] },
      }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    await sse.close();
  });

  it('forwards method, path, query and body, and returns status, headers and body', async () => {
    const reply = await viaProxy(
      { port: proxy.port },
      `http://ok.test:${upstream.port}/v1/things?token=s3cret`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'proxy-authorization': 'Basic Zm9v',
          connection: 'keep-alive, x-hop',
          'x-hop': '1',
        },
        body: '{"a":1}',
      },
    );
    expect(reply.status).toBe(201);
    expect(reply.headers['x-upstream']).toBe('yes');
    expect(reply.headers['x-secret-hop']).toBeUndefined();
    expect(JSON.parse(reply.body)).toEqual({
      url: '/v1/things?token=s3cret',
      method: 'POST',
      body: '{"a":1}',
    });
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['host']).toBe(`ok.test:${upstream.port}`);
    expect(seen?.headers['proxy-authorization']).toBeUndefined();
    expect(seen?.headers['x-hop']).toBeUndefined();
    // The audit line has the path but never the query string.
    await eventually(() => proxy.audit.some((e) => e.path === '/v1/things'));
    const line = proxy.audit.find((e) => e.path === '/v1/things');
    expect(line).toMatchObject({
      workspaceId: 'ws_test',
      method: 'POST',
      host: 'ok.test',
      port: upstream.port,
      status: 201,
      bytesIn: 7,
      decision: 'allowed',
      reason: 'allowlisted',
    });
    expect(line?.bytesOut).toBeGreaterThan(10);
    expect(JSON.stringify(proxy.audit)).not.toContain('s3cret');
  });

  it('keeps the workspace connection alive across requests', async () => {
    const pool = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    pool.on('free', (socket) => sockets.add(socket));
    for (let i = 0; i < 5; i++) {
      const reply = await viaProxy({ port: proxy.port }, `http://ok.test:${upstream.port}/n${i}`, {
        agent: pool,
      });
      expect(reply.status).toBe(201);
    }
    expect(sockets.size).toBe(1);
    pool.destroy();
  });

  it('streams an SSE response chunk by chunk', async () => {
    const chunks: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.port, path: `http://sse.test:${sse.port}/stream` },
        (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            chunks.push(chunk);
            // Only now may the upstream produce the second event: a buffering proxy would hang here.
            if (chunks.length === 1) releaseSecondChunk();
          });
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await done;
    expect(chunks[0]).toBe('event: message\ndata: first\n\n');
    expect(chunks.join('')).toBe('event: message\ndata: first\n\nevent: message\ndata: second\n\n');
  });

  it('answers 502 when the upstream refuses the connection, 502 dns_failed for a name that does not resolve', async () => {
    const down = await viaProxy({ port: proxy.port }, 'http://down.test:1/');
    expect(down.status).toBe(502);
    expect(down.headers['x-berth-proxy-error']).toBe('upstream_unreachable');
    expect(JSON.parse(down.body).error.code).toBe('upstream_unreachable');
    const gone = await viaProxy({ port: proxy.port }, 'http://gone.test:1/');
    expect(gone.status).toBe(502);
    expect(gone.headers['x-berth-proxy-error']).toBe('dns_failed');
  });

  it('rejects requests that are not absolute-form http:// with 400', async () => {
    const reply = await viaProxy({ port: proxy.port }, '/just/a/path');
    expect(reply.status).toBe(400);
    expect(reply.headers['x-berth-proxy-error']).toBe('bad_request');
    const userinfo = await viaProxy({ port: proxy.port }, `http://user:pw@ok.test:${upstream.port}/`);
    expect(userinfo.status).toBe(400);
  });

  it('answers 431 to an oversized request head without forwarding it', async () => {
    const before = upstream.seen.length;
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write(
      `GET http://ok.test:${upstream.port}/ HTTP/1.1\r\nHost: ok.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const answer = (await readUntilClose(socket)).toString();
    expect(answer).toMatch(/^HTTP\/1.1 431 /);
    expect(upstream.seen.length).toBe(before);
  });

  it('counts requests in stats', () => {
    const stats = proxy.stats();
    expect(stats.requests).toBeGreaterThanOrEqual(9);
    expect(stats.allowed).toBeGreaterThanOrEqual(7);
    expect(stats.upstreamErrors).toBeGreaterThanOrEqual(2);
  });
});

describe('Unix socket listener', () => {
  it('serves proxy requests on unix:/path and removes the socket on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-'));
    const socketPath = join(dir, 'proxy.sock');
    const upstream = await startUpstream((_req, res) => res.end('via unix'));
    const proxy = await startTestProxy(
      testConfig({
        listen: { kind: 'unix', path: socketPath },
        allow: `ok.test:${upstream.port}`,
        testHosts: { 'ok.test': ['127.0.0.1'] },
      }),
    );
    try {
      expect(proxy.address).toEqual({ kind: 'unix', path: socketPath });
      expect(statSync(socketPath).mode & 0o777).toBe(0o666);
      const reply = await viaProxy({ socketPath }, `http://ok.test:${upstream.port}/`);
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('via unix');
      const blocked = await viaProxy({ socketPath }, 'http://evil.test/');
      expect(blocked.status).toBe(403);
    } finally {
      await proxy.close();
      await upstream.close();
    }
    expect(() => statSync(socketPath)).toThrow();
    rmSync(dir, { recursive: true, force: true });
  });
});

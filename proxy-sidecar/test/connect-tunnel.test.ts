import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect, readUntilClose, startUpstream } from './helpers/http.js';
import type { TestProxy } from './helpers/proxy.js';
import { eventually, startTestProxy, testConfig } from './helpers/proxy.js';
import type { TestPki } from './helpers/tls.js';
import { makeTestPki } from './helpers/tls.js';

const listen = async <T extends Server | HttpsServer>(server: T): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('CONNECT tunnels', () => {
  let pki: TestPki;
  let tlsServer: HttpsServer;
  let tlsPort: number;
  let echoServer: Server;
  let echoPort: number;
  let resetServer: Server;
  let resetPort: number;
  let proxy: TestProxy;

  beforeAll(async () => {
    pki = makeTestPki(['secure.test']);
    tlsServer = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`secure hello ${req.url}`);
    });
    tlsPort = await listen(tlsServer);
    // Echoes one chunk, then ends the connection cleanly.
    echoServer = createTcpServer((socket) => socket.once('data', (chunk) => socket.end(chunk)));
    echoPort = await listen(echoServer);
    // Resets the connection as soon as data arrives (an upstream failure after the tunnel opened).
    resetServer = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    resetPort = await listen(resetServer);
    proxy = await startTestProxy(
      testConfig({
        allow: `secure.test:${tlsPort},echo.test:${echoPort},reset.test:${resetPort},secure.test`,
        testHosts: { 'secure.test': ['127.0.0.1'], 'echo.test': ['127.0.0.1'], 'reset.test': ['127.0.0.1'] },
      }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all(
      [tlsServer, echoServer, resetServer].map((s) => new Promise((resolve) => s.close(resolve))),
    );
  });

  it('carries HTTPS to a TLS server whose certificate is checked against the name', async () => {
    const tunnel = await rawConnect(proxy.port, `secure.test:${tlsPort}`);
    expect(tunnel.status).toBe(200);
    const tls = tlsConnect({ socket: tunnel.socket, servername: 'secure.test', ca: pki.ca });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    expect(tls.authorized).toBe(true);
    tls.write('GET /hello HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n');
    const answer = (await readUntilClose(tls as unknown as Socket)).toString();
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer).toContain('secure hello /hello');
    await eventually(() => proxy.audit.some((e) => e.method === 'CONNECT' && e.port === tlsPort));
    const line = proxy.audit.find((e) => e.method === 'CONNECT' && e.port === tlsPort);
    expect(line).toMatchObject({ host: 'secure.test', status: 200, decision: 'allowed', path: null });
    expect(line?.bytesIn).toBeGreaterThan(100); // ClientHello and the request
    expect(line?.bytesOut).toBeGreaterThan(300); // certificate chain and the response
  });

  it('writes nothing after the tunnel when the upstream closes it (BUG-04)', async () => {
    const tunnel = await rawConnect(proxy.port, `echo.test:${echoPort}`);
    expect(tunnel.head).toBe('HTTP/1.1 200 Connection Established');
    const rest = readUntilClose(tunnel.socket);
    tunnel.socket.write('ping-through-tunnel');
    // Exactly the echoed bytes and then EOF: no second status line, no error body.
    expect(Buffer.concat([tunnel.rest, await rest]).toString()).toBe('ping-through-tunnel');
  });

  it('writes nothing after the tunnel when the upstream resets it', async () => {
    const tunnel = await rawConnect(proxy.port, `reset.test:${resetPort}`);
    expect(tunnel.status).toBe(200);
    const rest = readUntilClose(tunnel.socket);
    tunnel.socket.write('go');
    // The upstream sent nothing, so the workspace must see nothing: just the connection closing.
    expect(Buffer.concat([tunnel.rest, await rest]).toString()).toBe('');
    await eventually(() => proxy.audit.some((e) => e.port === resetPort));
    expect(proxy.audit.find((e) => e.port === resetPort)).toMatchObject({
      status: 200,
      reason: 'upstream_aborted',
    });
  });

  it('sends data the client pipelined right after the CONNECT head', async () => {
    const socket = (await import('node:net')).connect(proxy.port, '127.0.0.1');
    const all = readUntilClose(socket);
    socket.write(`CONNECT echo.test:${echoPort} HTTP/1.1\r\nHost: echo.test\r\n\r\nearly-bytes`);
    expect((await all).toString()).toBe('HTTP/1.1 200 Connection Established\r\n\r\nearly-bytes');
  });

  it('answers one 403 and closes when a CONNECT is refused', async () => {
    const socket = (await import('node:net')).connect(proxy.port, '127.0.0.1');
    const all = readUntilClose(socket);
    socket.write('CONNECT secure.test:22 HTTP/1.1\r\nHost: secure.test:22\r\n\r\n');
    const answer = (await all).toString();
    expect(answer).toMatch(/^HTTP\/1.1 403 Forbidden\r\n/);
    expect(answer).toContain('x-berth-proxy-blocked: port_not_allowed');
    expect(answer.match(/HTTP\/1.1/g)).toHaveLength(1);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'port_not_allowed', message: 'port 22 is not allowed for secure.test' },
    });
  });

  it('answers 502 (once) when the upstream refuses the connection', async () => {
    await proxy.policy.update({ allowDomains: [{ name: 'echo.test', wildcard: false, port: 1 }] });
    try {
      const socket = (await import('node:net')).connect(proxy.port, '127.0.0.1');
      const all = readUntilClose(socket);
      socket.write('CONNECT echo.test:1 HTTP/1.1\r\nHost: echo.test:1\r\n\r\n');
      const answer = (await all).toString();
      expect(answer).toMatch(/^HTTP\/1.1 502 Bad Gateway\r\n/);
      expect(answer.match(/HTTP\/1.1/g)).toHaveLength(1);
    } finally {
      proxy.policy.update({
        allowDomains: [
          { name: 'secure.test', wildcard: false, port: tlsPort },
          { name: 'echo.test', wildcard: false, port: echoPort },
          { name: 'reset.test', wildcard: false, port: resetPort },
        ],
      });
    }
  });

  it('closes a CONNECT tunnel to a host with credential injection at the TLS ClientHello (nothing goes upstream)', async () => {
    proxy.policy.update({ anthropic: { apiKey: 'sk-real', hosts: ['secure.test'] } });
    let upstreamConnections = 0;
    const count = () => (upstreamConnections += 1);
    tlsServer.on('connection', count);
    try {
      const tunnel = await rawConnect(proxy.port, `secure.test:${tlsPort}`);
      expect(tunnel.status).toBe(200);
      const closed = readUntilClose(tunnel.socket);
      const tls = tlsConnect({ socket: tunnel.socket, servername: 'secure.test', ca: pki.ca });
      const failed = await new Promise<boolean>((resolve) => {
        tls.once('secureConnect', () => resolve(false));
        tls.once('error', () => resolve(true));
        tls.once('close', () => resolve(true));
      });
      expect(failed).toBe(true);
      expect((await closed).length).toBe(0); // not a byte back: no 403 can follow a 200
      expect(upstreamConnections).toBe(0);
      await eventually(() =>
        proxy.audit.some((e) => e.method === 'CONNECT' && e.reason === 'tls_to_injected_host'),
      );
    } finally {
      tlsServer.off('connection', count);
      proxy.policy.update({ anthropic: null });
    }
  });

  it('serves plain HTTP inside a CONNECT tunnel to an injected host like a proxied request (undici clients)', async () => {
    const upstream = await startUpstream((req, res) => res.end(`got ${req.url}`));
    proxy.policy.update({
      allowDomains: [{ name: 'echo.test', wildcard: false, port: upstream.port }],
      anthropic: { apiKey: 'sk-real', hosts: ['echo.test'], upstreamScheme: 'http' },
    });
    try {
      const tunnel = await rawConnect(proxy.port, `echo.test:${upstream.port}`);
      expect(tunnel.status).toBe(200);
      const answer = readUntilClose(tunnel.socket);
      tunnel.socket.write(
        `POST /v1/messages?beta=true HTTP/1.1\r\nHost: echo.test:${upstream.port}\r\nx-api-key: sk-placeholder\r\n` +
          'authorization: Bearer workspace\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}',
      );
      const text = (await answer).toString();
      expect(text).toMatch(/^HTTP\/1.1 200 /);
      expect(text).toContain('got /v1/messages?beta=true');
      expect(upstream.seen).toHaveLength(1);
      expect(upstream.seen[0]?.headers['x-api-key']).toBe('sk-real');
      expect(upstream.seen[0]?.headers['authorization']).toBeUndefined();
      expect(upstream.seen[0]?.body.toString()).toBe('{}');
      // Not on the allowlist: refused before the tunnel opens.
      const refused = await rawConnect(proxy.port, 'echo.test:1');
      expect(refused.status).toBe(403);
      expect(refused.head).toContain('x-berth-proxy-blocked: port_not_allowed');
    } finally {
      proxy.policy.update({
        anthropic: null,
        allowDomains: [
          { name: 'secure.test', wildcard: false, port: tlsPort },
          { name: 'echo.test', wildcard: false, port: echoPort },
          { name: 'reset.test', wildcard: false, port: resetPort },
        ],
      });
      await upstream.close();
    }
  });
});

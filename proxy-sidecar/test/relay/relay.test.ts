import type { Server as HttpsServer } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer as createTcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SIDECAR_ADMIN } from '@berth/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../helpers/admin.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  allowing,
  bearer,
  controlPlaneKeys,
  egressToken,
  MemoryPolicies,
  startTestGateway,
} from '../helpers/gateway.js';
import type { Upstream } from '../helpers/http.js';
import { rawConnect, readUntilClose, startUpstream, viaProxy } from '../helpers/http.js';
import { eventually } from '../helpers/proxy.js';
import type { TestPki } from '../helpers/tls.js';
import { makeTestPki } from '../helpers/tls.js';
import type { GatewayHop, TestRelay } from './relay-setup.js';
import { adminToken, RELAY_WORKSPACE, startGatewayHop, startTestRelay } from './relay-setup.js';

const listen = async (server: Server | HttpsServer): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('relay (workspace sidecar on ECS) in front of a real gateway', () => {
  const keys = controlPlaneKeys();
  const policies = new MemoryPolicies();
  let upstream: Upstream;
  let pki: TestPki;
  let tlsServer: HttpsServer;
  let tlsPort: number;
  let echoServer: Server;
  let echoPort: number;
  let gateway: TestGateway;
  let hop: GatewayHop;
  const relays: TestRelay[] = [];

  const at = (host: string, path = '/') => `http://${host}:${upstream.port}${path}`;
  const credential = (workspaceId = RELAY_WORKSPACE, options?: Parameters<typeof egressToken>[2]) =>
    egressToken(keys.privateKey, workspaceId, options);
  const handOver = async (relay: TestRelay, token = credential()) => {
    const reply = await admin(relay.adminPort, 'PUT', SIDECAR_ADMIN.credentialPath, {
      headers: { authorization: `Bearer ${adminToken(keys.privateKey)}` },
      body: { token },
    });
    expect(reply.status, reply.body).toBe(200);
  };
  /** A relay in front of the counting hop, holding a credential unless told otherwise. */
  const relay = async (
    options: { credential?: boolean; idleTimeoutMs?: number; gatewayPort?: number } = {},
  ) => {
    const started = await startTestRelay(keys.publicKey, options.gatewayPort ?? hop.port, {
      limits: {
        maxHeaderBytes: 16 * 1024,
        headersTimeoutMs: 5_000,
        connectTimeoutMs: 2_000,
        idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
      },
    });
    relays.push(started);
    if (options.credential !== false) await handOver(started);
    return started;
  };

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => res.end(`hello ${req.url}`));
    pki = makeTestPki(['secure.test']);
    tlsServer = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) =>
      res.end(`secure ${req.url}`),
    );
    tlsPort = await listen(tlsServer);
    echoServer = createTcpServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    echoPort = await listen(echoServer);
    policies.policies.set(RELAY_WORKSPACE, {
      tenantId: 't_relay',
      policy: allowing(`a.test:${upstream.port},secure.test:${tlsPort},echo.test:${echoPort}`),
    });
    policies.policies.set('ws_other', { tenantId: 't_other', policy: allowing(`b.test:${upstream.port}`) });
    const names = ['a.test', 'b.test', 'c.test', 'secure.test', 'echo.test'];
    gateway = await startTestGateway(keys.publicKey, policies, {
      testHosts: Object.fromEntries(names.map((name) => [name, ['127.0.0.1']])),
    });
    hop = await startGatewayHop(gateway.port);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await hop.close();
    await gateway.close();
    await upstream.close();
    await Promise.all([tlsServer, echoServer].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  describe('forwarding', () => {
    it('relays plain HTTP to the gateway with its credential; the upstream never sees it', async () => {
      const r = await relay();
      const reply = await viaProxy({ port: r.port }, at('a.test', '/plain?q=1'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-custom': 'kept' },
        body: 'some body',
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('hello /plain?q=1');
      const seen = upstream.seen.at(-1);
      expect(seen?.body.toString()).toBe('some body');
      expect(seen?.headers['x-custom']).toBe('kept');
      expect(seen?.headers['proxy-authorization']).toBeUndefined();
      expect(seen?.rawHeaders.join('\n')).not.toMatch(/bat1\./);
      await eventually(() => gateway.audit.some((e) => e.path === '/plain'));
      expect(gateway.audit.find((e) => e.path === '/plain')).toMatchObject({
        workspaceId: RELAY_WORKSPACE,
        tenantId: 't_relay',
        method: 'POST',
        host: 'a.test',
        decision: 'allowed',
        status: 200,
      });
    });

    it('relays CONNECT to a TLS upstream; the gateway audits the tunnel for the workspace', async () => {
      const r = await relay();
      const tunnel = await rawConnect(r.port, `secure.test:${tlsPort}`);
      expect(tunnel.status).toBe(200);
      const tls = tlsConnect({ socket: tunnel.socket, servername: 'secure.test', ca: pki.ca });
      await new Promise<void>((resolve, reject) => {
        tls.once('secureConnect', resolve);
        tls.once('error', reject);
      });
      tls.write('GET /through-relay HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n');
      const answer = (await readUntilClose(tls as unknown as Socket)).toString();
      expect(answer).toContain('secure /through-relay');
      await eventually(() => gateway.audit.some((e) => e.method === 'CONNECT' && e.port === tlsPort));
      expect(gateway.audit.find((e) => e.method === 'CONNECT' && e.port === tlsPort)).toMatchObject({
        workspaceId: RELAY_WORKSPACE,
        decision: 'allowed',
        status: 200,
      });
    });

    it('passes bytes the client sent right behind its CONNECT head into the tunnel', async () => {
      const r = await relay();
      const socket = connect(r.port, '127.0.0.1');
      const all = readUntilClose(socket);
      socket.write(`CONNECT echo.test:${echoPort} HTTP/1.1\r\nHost: echo.test\r\n\r\nearly-bytes`);
      setTimeout(() => socket.end(), 300);
      const answer = (await all).toString();
      expect(answer).toMatch(/^HTTP\/1.1 200 Connection Established\r\n\r\nearly-bytes$/);
    });

    it('keeps a tunnel open both ways for as long as it is used', async () => {
      const r = await relay();
      const tunnel = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(tunnel.status).toBe(200);
      const received: Buffer[] = [];
      tunnel.socket.on('data', (chunk: Buffer) => received.push(chunk));
      tunnel.socket.resume();
      for (const word of ['one', 'two', 'three']) {
        tunnel.socket.write(word);
        await eventually(() => Buffer.concat(received).toString().endsWith(word));
      }
      tunnel.socket.destroy();
    });
  });

  describe('credential', () => {
    it('answers 503 egress_not_ready until it holds one, without contacting the gateway', async () => {
      const r = await relay({ credential: false });
      const before = hop.connections;
      const reply = await viaProxy({ port: r.port }, at('a.test'));
      expect(reply.status).toBe(503);
      expect(reply.headers['x-berth-proxy-error']).toBe('egress_not_ready');
      expect(JSON.parse(reply.body)).toEqual({
        error: { code: 'egress_not_ready', message: expect.any(String) },
      });
      const tunnel = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(tunnel.status).toBe(503);
      expect(tunnel.head).toContain('x-berth-proxy-error: egress_not_ready');
      tunnel.socket.destroy();
      expect(hop.connections).toBe(before);

      await handOver(r);
      expect((await viaProxy({ port: r.port }, at('a.test', '/now'))).body).toBe('hello /now');
      expect(hop.connections).toBeGreaterThan(before);
    });

    it('answers 503 again once the credential has expired on its clock', async () => {
      const r = await relay({ credential: false });
      await handOver(r, credential(RELAY_WORKSPACE, { lifetimeSeconds: 120 }));
      expect((await viaProxy({ port: r.port }, at('a.test'))).status).toBe(200);
      r.advance(121);
      const before = hop.connections;
      const reply = await viaProxy({ port: r.port }, at('a.test'));
      expect(reply.status).toBe(503);
      expect(reply.headers['x-berth-proxy-error']).toBe('egress_not_ready');
      const health = await admin(r.adminPort, 'GET', SIDECAR_ADMIN.healthPath);
      expect(JSON.parse(health.body)).toEqual({ status: 'ok', credential: false });
      expect(hop.connections).toBe(before);
    });

    it("replaces a Proxy-Authorization the workspace sends with its own (another workspace's token gets nothing)", async () => {
      const r = await relay();
      // A valid credential of ws_other, which allows b.test: the relay must not let it through.
      const other = bearer(credential('ws_other'));
      const refused = await viaProxy({ port: r.port }, at('b.test', '/forged'), { headers: other });
      expect(refused.status).toBe(403);
      expect(refused.headers['x-berth-proxy-blocked']).toBe('domain_not_allowed');
      await eventually(() => gateway.audit.some((e) => e.path === '/forged'));
      expect(gateway.audit.find((e) => e.path === '/forged')?.workspaceId).toBe(RELAY_WORKSPACE);
      // ...and the relay's own credential is used even for a target ws_relay allows.
      expect((await viaProxy({ port: r.port }, at('a.test', '/own'), { headers: other })).status).toBe(200);
      expect(upstream.seen.at(-1)?.headers['proxy-authorization']).toBeUndefined();

      const tunnel = await rawConnect(r.port, `b.test:${upstream.port}`, other);
      expect(tunnel.status).toBe(403);
      tunnel.socket.destroy();
      await eventually(() => gateway.audit.some((e) => e.method === 'CONNECT' && e.host === 'b.test'));
      expect(gateway.audit.find((e) => e.method === 'CONNECT' && e.host === 'b.test')?.workspaceId).toBe(
        RELAY_WORKSPACE,
      );
    });
  });

  describe("the gateway's answers", () => {
    it('passes a refusal through as the gateway wrote it (plain HTTP, with and without a body)', async () => {
      const r = await relay({ gatewayPort: gateway.port });
      for (const body of [undefined, 'a small body']) {
        const reply = await viaProxy({ port: r.port }, at('c.test', '/x'), { method: 'POST', body });
        expect(reply.status).toBe(403);
        expect(reply.headers['x-berth-proxy-blocked']).toBe('domain_not_allowed');
        expect(JSON.parse(reply.body)).toEqual({
          error: { code: 'domain_not_allowed', message: 'c.test is not on the allowlist' },
        });
      }
    });

    it("delivers the gateway's 403 for a refused upload it never read (the gateway lingers, no reset first)", async () => {
      // The gateway refuses without reading the body; it discards what keeps arriving (bounded) instead of
      // closing at once, whose reset could beat its 403 to the relay.
      const r = await relay({ gatewayPort: gateway.port });
      for (let i = 0; i < 3; i += 1) {
        const upload = await viaProxy({ port: r.port }, at('c.test', '/upload'), {
          method: 'POST',
          body: Buffer.alloc(8 * 1024 * 1024, 'x'),
        });
        expect([upload.status, JSON.parse(upload.body).error.code]).toEqual([403, 'domain_not_allowed']);
      }
      expect((await viaProxy({ port: r.port }, at('a.test', '/after-upload'))).status).toBe(200);
    });

    it('passes a CONNECT refusal through: one response, then the socket closes', async () => {
      const r = await relay();
      const socket = connect(r.port, '127.0.0.1');
      const all = readUntilClose(socket);
      socket.write('CONNECT c.test:443 HTTP/1.1\r\nHost: c.test:443\r\n\r\n');
      const answer = (await all).toString();
      expect(answer).toMatch(/^HTTP\/1.1 403 Forbidden\r\n/);
      expect(answer).toContain('x-berth-proxy-blocked: domain_not_allowed');
      expect(answer.match(/HTTP\/1.1/g)).toHaveLength(1);
    });

    it("passes the gateway's 407 through when the credential is refused there", async () => {
      // Signed by the key the relay trusts, but this gateway trusts another one.
      const otherKeys = controlPlaneKeys();
      const otherGateway = await startTestGateway(otherKeys.publicKey, policies, {
        testHosts: { 'a.test': ['127.0.0.1'] },
      });
      try {
        const r = await relay({ gatewayPort: otherGateway.port });
        const reply = await viaProxy({ port: r.port }, at('a.test'));
        expect(reply.status).toBe(407);
        expect(reply.headers['x-berth-proxy-blocked']).toBe('credential_bad_signature');
      } finally {
        await Promise.all(relays.splice(0).map((started) => started.close()));
        await otherGateway.close();
      }
    });
  });

  describe('requests it does not relay, and failures', () => {
    it('answers 400 to an origin-form request, without contacting the gateway', async () => {
      const r = await relay();
      const before = hop.connections;
      const reply = await viaProxy({ port: r.port }, '/not-a-proxy-request');
      expect(reply.status).toBe(400);
      expect(reply.headers['x-berth-proxy-error']).toBe('bad_request');
      expect(hop.connections).toBe(before);
    });

    it('answers 502 gateway_unreachable when the gateway does not answer, for HTTP and CONNECT', async () => {
      const closed = createTcpServer();
      const port = await listen(closed);
      await new Promise((resolve) => closed.close(resolve));
      const r = await relay({ gatewayPort: port });
      const reply = await viaProxy({ port: r.port }, at('a.test'));
      expect(reply.status).toBe(502);
      expect(reply.headers['x-berth-proxy-error']).toBe('gateway_unreachable');
      const tunnel = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(tunnel.status).toBe(502);
      tunnel.socket.destroy();
      expect(r.log.some((l) => l.level === 'warn' && l.message.startsWith('egress gateway'))).toBe(true);
    });

    it('survives a client reset mid-tunnel and a gateway reset mid-tunnel', async () => {
      const r = await relay();
      const first = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(first.status).toBe(200);
      first.socket.resetAndDestroy();

      const second = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(second.status).toBe(200);
      const closed = readUntilClose(second.socket);
      hop.resetAll();
      await closed;

      expect((await viaProxy({ port: r.port }, at('a.test', '/after-resets'))).status).toBe(200);
    });

    it('closes a tunnel idle for longer than the idle timeout', async () => {
      const r = await relay({ idleTimeoutMs: 300 });
      const tunnel = await rawConnect(r.port, `echo.test:${echoPort}`);
      expect(tunnel.status).toBe(200);
      const started = Date.now();
      await readUntilClose(tunnel.socket);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(3_000);
    });
  });
});

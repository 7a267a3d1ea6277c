import { Agent } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer as createTcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressPolicy } from '../../src/index.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  allowing,
  basic,
  bearer,
  controlPlaneKeys,
  egressToken,
  MemoryPolicies,
  startTestGateway,
} from '../helpers/gateway.js';
import type { Reply, Upstream } from '../helpers/http.js';
import { rawConnect, readUntilClose, startUpstream, viaProxy } from '../helpers/http.js';
import { eventually } from '../helpers/proxy.js';
import type { TestPki } from '../helpers/tls.js';
import { makeTestPki } from '../helpers/tls.js';

const listen = async (server: Server | HttpsServer): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

const KEY_C = 'sk-ant-api03-real-key-of-workspace-c';
const KEY_E = 'sk-ant-api03-real-key-of-workspace-e';

describe('egress gateway', () => {
  const keys = controlPlaneKeys();
  const policies = new MemoryPolicies();
  /** Every token handed out and every reply seen, to prove no token is ever echoed. */
  const tokens: string[] = [];
  const replies: string[] = [];
  let upstream: Upstream;
  let pki: TestPki;
  let tlsServer: HttpsServer;
  let tlsPort: number;
  let echoServer: Server;
  let echoPort: number;
  let gateway: TestGateway;

  const token = (workspaceId: string, options?: Parameters<typeof egressToken>[2]) => {
    const t = egressToken(keys.privateKey, workspaceId, options);
    tokens.push(t);
    return t;
  };
  const send = async (
    url: string,
    headers: Record<string, string>,
    options: Parameters<typeof viaProxy>[2] = {},
  ): Promise<Reply> => {
    const reply = await viaProxy({ port: gateway.port }, url, { ...options, headers });
    replies.push(JSON.stringify(reply));
    return reply;
  };
  const at = (host: string, path = '/') => `http://${host}:${upstream.port}${path}`;
  const anthropicPolicy = (apiKey: string): EgressPolicy => ({
    ...allowing(`api.anthropic.com:${upstream.port}`),
    anthropic: { apiKey, hosts: ['api.anthropic.com'], upstreamScheme: 'http' },
  });

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => res.end(`hello ${req.url}`));
    pki = makeTestPki(['secure.test']);
    tlsServer = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) =>
      res.end(`secure ${req.url}`),
    );
    tlsPort = await listen(tlsServer);
    echoServer = createTcpServer((socket) => socket.once('data', (chunk) => socket.end(chunk)));
    echoPort = await listen(echoServer);
    policies.policies.set('ws_a', { tenantId: 't_1', policy: allowing(`a.test:${upstream.port}`) });
    policies.policies.set('ws_b', {
      tenantId: 't_2',
      policy: allowing(`b.test:${upstream.port},secure.test:${tlsPort},echo.test:${echoPort}`),
    });
    policies.policies.set('ws_c', { tenantId: 't_1', policy: anthropicPolicy(KEY_C) });
    policies.policies.set('ws_e', { tenantId: 't_3', policy: anthropicPolicy(KEY_E) });
    const local = ['a.test', 'b.test', 'secure.test', 'echo.test', 'api.anthropic.com'];
    gateway = await startTestGateway(keys.publicKey, policies, {
      testHosts: Object.fromEntries(local.map((host) => [host, ['127.0.0.1']])),
    });
  });

  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    await Promise.all([tlsServer, echoServer].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  describe('proxy credential', () => {
    it('answers 407 with a Bearer challenge when there is none, and sends nothing upstream', async () => {
      const before = upstream.seen.length;
      const reply = await send(at('a.test'), {});
      expect(reply.status).toBe(407);
      expect(reply.headers['proxy-authenticate']).toBe('Bearer realm="berth-egress"');
      expect(reply.headers['x-berth-proxy-blocked']).toBe('credential_missing');
      expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'credential_missing' } });
      expect(upstream.seen.length).toBe(before);
      await eventually(() => gateway.audit.some((e) => e.reason === 'credential_missing'));
      expect(gateway.audit.find((e) => e.reason === 'credential_missing')).toMatchObject({
        workspaceId: 'unknown',
        decision: 'blocked',
        status: 407,
        host: 'a.test',
        port: upstream.port,
      });
    });

    it.each([
      ['not a token', () => ({ 'proxy-authorization': 'Bearer not-a-token' }), 'credential_malformed'],
      [
        'an unknown scheme',
        () => ({ 'proxy-authorization': `Digest ${token('ws_a')}` }),
        'credential_malformed',
      ],
      [
        'Basic without a password',
        () => ({ 'proxy-authorization': `Basic ${btoa('ws_a')}` }),
        'credential_malformed',
      ],
      [
        'another key',
        () => bearer(egressToken(controlPlaneKeys().privateKey, 'ws_a')),
        'credential_bad_signature',
      ],
      [
        'an expired token',
        () => bearer(token('ws_a', { issuedAt: Math.floor(Date.now() / 1000) - 700, lifetimeSeconds: 600 })),
        'credential_expired',
      ],
      [
        "the agent's audience",
        () => basic(token('ws_a', { audience: 'agent' })),
        'credential_other_audience',
      ],
    ])('answers 407 for %s', async (_label, headers, reason) => {
      const reply = await send(at('a.test'), headers());
      expect(reply.status).toBe(407);
      expect(reply.headers['proxy-authenticate']).toBe('Bearer realm="berth-egress"');
      expect(JSON.parse(reply.body)).toMatchObject({ error: { code: reason } });
      await eventually(() => gateway.audit.some((e) => e.reason === reason));
    });

    it('accepts Bearer and Basic (the token as the proxy URL password) alike', async () => {
      expect((await send(at('a.test', '/bearer'), bearer(token('ws_a')))).body).toBe('hello /bearer');
      expect((await send(at('a.test', '/basic'), basic(token('ws_a'), 'anyone'))).body).toBe('hello /basic');
      // The credential is the gateway's: it never travels on.
      expect(upstream.seen.at(-1)?.headers['proxy-authorization']).toBeUndefined();
    });

    it('checks CONNECT too: 407 with the challenge on the raw socket', async () => {
      const socket = connect(gateway.port, '127.0.0.1');
      const all = readUntilClose(socket);
      socket.write(`CONNECT echo.test:${echoPort} HTTP/1.1\r\nHost: echo.test\r\n\r\n`);
      const answer = (await all).toString();
      replies.push(answer);
      expect(answer).toMatch(/^HTTP\/1.1 407 Proxy Authentication Required\r\n/);
      expect(answer).toContain('proxy-authenticate: Bearer realm="berth-egress"');
      expect(answer).toContain('x-berth-proxy-blocked: credential_missing');
      expect(answer.match(/HTTP\/1.1/g)).toHaveLength(1);
      const bad = await rawConnect(gateway.port, `echo.test:${echoPort}`, bearer(`${token('ws_b')}x`));
      expect(bad.status).toBe(407);
      bad.socket.destroy();
    });
  });

  describe('per-workspace policy', () => {
    it("applies A's allowlist to A's credential and B's to B's", async () => {
      const a = token('ws_a');
      const b = token('ws_b');
      expect((await send(at('a.test', '/x'), bearer(a))).status).toBe(200);
      const refused = await send(at('b.test', '/x'), bearer(a));
      expect(refused.status).toBe(403);
      expect(refused.headers['x-berth-proxy-blocked']).toBe('domain_not_allowed');
      expect(JSON.parse(refused.body)).toEqual({
        error: { code: 'domain_not_allowed', message: 'b.test is not on the allowlist' },
      });
      expect((await send(at('b.test', '/x'), bearer(b))).status).toBe(200);
      expect((await send(at('a.test', '/x'), bearer(b))).status).toBe(403);
    });

    it('never mixes workspaces across interleaved concurrent requests on shared connections', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const credentials = { ws_a: token('ws_a'), ws_b: token('ws_b') };
      const cases = Array.from({ length: 60 }, (_, i) => ({
        ws: i % 2 === 0 ? ('ws_a' as const) : ('ws_b' as const),
        host: i % 3 === 0 ? 'a.test' : 'b.test',
        path: `/mix/${i}`,
      }));
      const results = await Promise.all(
        cases.map((c) => send(at(c.host, c.path), bearer(credentials[c.ws]), { agent })),
      );
      agent.destroy();
      cases.forEach((c, i) => {
        const own = (c.ws === 'ws_a') === (c.host === 'a.test');
        expect(results[i]?.status, c.path).toBe(own ? 200 : 403);
      });
      await eventually(() => gateway.audit.filter((e) => e.path?.startsWith('/mix/')).length === 60);
      for (const c of cases) {
        const line = gateway.audit.find((e) => e.path === c.path);
        expect(line, c.path).toMatchObject({
          workspaceId: c.ws,
          tenantId: c.ws === 'ws_a' ? 't_1' : 't_2',
          decision: (c.ws === 'ws_a') === (c.host === 'a.test') ? 'allowed' : 'blocked',
        });
      }
    });

    it('refuses an unknown or ended workspace with 403', async () => {
      const reply = await send(at('a.test'), bearer(token('ws_gone')));
      expect(reply.status).toBe(403);
      expect(reply.headers['x-berth-proxy-blocked']).toBe('workspace_unknown');
      await eventually(() => gateway.audit.some((e) => e.workspaceId === 'ws_gone'));
      expect(gateway.audit.find((e) => e.workspaceId === 'ws_gone')).toMatchObject({
        decision: 'blocked',
        reason: 'workspace_unknown',
        status: 403,
      });
    });

    it('answers 503 when the policy source fails, also for a workspace it had allowed (no stale allow)', async () => {
      const a = token('ws_a');
      expect((await send(at('a.test'), bearer(a))).status).toBe(200);
      policies.fail = true;
      try {
        const started = Date.now();
        let reply = await send(at('a.test'), bearer(a));
        while (reply.status === 200 && Date.now() - started < 2_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          reply = await send(at('a.test'), bearer(a));
        }
        expect(reply.status).toBe(503);
        expect(reply.headers['x-berth-proxy-error']).toBe('policy_unavailable');
        expect(Date.now() - started).toBeLessThan(2_000);
        await eventually(() => gateway.audit.some((e) => e.reason === 'policy_unavailable'));
        expect(gateway.audit.find((e) => e.reason === 'policy_unavailable')).toMatchObject({
          workspaceId: 'ws_a',
          decision: 'error',
          status: 503,
        });
      } finally {
        policies.fail = false;
      }
    });

    it('applies a policy change in the source within 2 s', async () => {
      const a = token('ws_a');
      expect((await send(at('a.test'), bearer(a))).status).toBe(200);
      const previous = policies.policies.get('ws_a');
      policies.policies.set('ws_a', { tenantId: 't_1', policy: allowing(`b.test:${upstream.port}`) });
      try {
        const started = Date.now();
        while ((await send(at('a.test'), bearer(a))).status === 200) {
          expect(Date.now() - started).toBeLessThan(2_000);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(Date.now() - started).toBeLessThan(2_000);
        expect((await send(at('b.test'), bearer(a))).status).toBe(200);
      } finally {
        if (previous) policies.policies.set('ws_a', previous);
      }
    });
  });

  describe('CONNECT', () => {
    it('tunnels HTTPS to a TLS upstream for the workspace that allows it (Basic credential)', async () => {
      const tunnel = await rawConnect(gateway.port, `secure.test:${tlsPort}`, basic(token('ws_b')));
      expect(tunnel.status).toBe(200);
      const tls = tlsConnect({ socket: tunnel.socket, servername: 'secure.test', ca: pki.ca });
      await new Promise<void>((resolve, reject) => {
        tls.once('secureConnect', resolve);
        tls.once('error', reject);
      });
      tls.write('GET /tunnelled HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n');
      const answer = (await readUntilClose(tls as unknown as Socket)).toString();
      expect(answer).toContain('secure /tunnelled');
      await eventually(() => gateway.audit.some((e) => e.method === 'CONNECT' && e.port === tlsPort));
      expect(gateway.audit.find((e) => e.method === 'CONNECT' && e.port === tlsPort)).toMatchObject({
        workspaceId: 'ws_b',
        tenantId: 't_2',
        decision: 'allowed',
        status: 200,
      });
    });

    it('tunnels plain TCP (Bearer credential) and refuses another workspace the same target', async () => {
      const tunnel = await rawConnect(gateway.port, `echo.test:${echoPort}`, bearer(token('ws_b')));
      expect(tunnel.status).toBe(200);
      const rest = readUntilClose(tunnel.socket);
      tunnel.socket.write('ping');
      expect(Buffer.concat([tunnel.rest, await rest]).toString()).toBe('ping');
      const refused = await rawConnect(gateway.port, `echo.test:${echoPort}`, bearer(token('ws_a')));
      expect(refused.status).toBe(403);
      expect(refused.head).toContain('x-berth-proxy-blocked: domain_not_allowed');
      refused.socket.destroy();
    });
  });

  describe('Anthropic key injection', () => {
    it("injects each workspace's own key; the client sent none", async () => {
      for (const [ws, key] of [
        ['ws_c', KEY_C],
        ['ws_e', KEY_E],
      ] as const) {
        const reply = await send(at('api.anthropic.com', `/v1/messages?${ws}`), bearer(token(ws)), {
          method: 'POST',
          body: '{"model":"claude"}',
        });
        expect(reply.status).toBe(200);
        const seen = upstream.seen.at(-1);
        expect(seen?.url).toBe(`/v1/messages?${ws}`);
        expect(seen?.headers['x-api-key']).toBe(key);
        expect(seen?.headers['proxy-authorization']).toBeUndefined();
        expect(seen?.body.toString()).toBe('{"model":"claude"}');
      }
      await eventually(() => gateway.audit.filter((e) => e.host === 'api.anthropic.com').length >= 2);
      expect(
        gateway.audit.find((e) => e.workspaceId === 'ws_c' && e.host === 'api.anthropic.com'),
      ).toMatchObject({ tenantId: 't_1', injected: ['anthropic'], decision: 'allowed' });
      expect(JSON.stringify(gateway.audit)).not.toContain(KEY_C);
    });

    it('serves requests inside an injected CONNECT tunnel under the tunnel workspace, its policy read again', async () => {
      const tunnel = await rawConnect(
        gateway.port,
        `api.anthropic.com:${upstream.port}`,
        basic(token('ws_c')),
      );
      expect(tunnel.status).toBe(200);
      const request = (path: string) =>
        `POST ${path} HTTP/1.1\r\nHost: api.anthropic.com:${upstream.port}\r\ncontent-length: 2\r\n\r\n{}`;
      const received: Buffer[] = [];
      tunnel.socket.on('data', (chunk: Buffer) => received.push(chunk));
      tunnel.socket.resume();
      tunnel.socket.write(request('/v1/messages?in-tunnel'));
      await eventually(() => Buffer.concat(received).toString().includes('hello /v1/messages?in-tunnel'));
      expect(upstream.seen.at(-1)?.headers['x-api-key']).toBe(KEY_C);

      // The workspace ends while its tunnel is open: the next request in it is refused.
      const policy = policies.policies.get('ws_c');
      policies.policies.delete('ws_c');
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_100)); // one policy TTL
        tunnel.socket.write(request('/v1/messages?after-end'));
        await eventually(() => Buffer.concat(received).toString().includes('workspace_unknown'));
        expect(upstream.seen.some((s) => s.url.includes('after-end'))).toBe(false);
      } finally {
        if (policy) policies.policies.set('ws_c', policy);
        tunnel.socket.destroy();
      }
    });
  });

  it('never writes a token into an audit line or a reply', () => {
    expect(tokens.length).toBeGreaterThan(10);
    const audit = JSON.stringify(gateway.audit);
    const seen = replies.join('\n');
    for (const t of tokens) {
      expect(audit).not.toContain(t);
      expect(seen).not.toContain(t);
      // Nor the signature alone (what a partial echo would show).
      const signature = t.split('.').at(-1) ?? '';
      expect(audit).not.toContain(signature);
      expect(seen).not.toContain(signature);
    }
  });
});

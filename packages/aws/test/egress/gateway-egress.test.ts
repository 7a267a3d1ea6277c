import { generateKeyPairSync, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, type WorkspaceEgressRules, type WorkspaceRecord } from '@berth/core';
import { SIDECAR_ADMIN } from '@berth/protocol';
import {
  EGRESS_TOKEN_MAX_LIFETIME_SECONDS,
  verifyAgentToken,
  type TokenAudience,
} from '@berth/protocol/agent-token';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayEgress } from '../../src/egress/gateway-egress.js';
import { makeWorkspace } from '../support/workspace-fixture.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const NOW_MS = Date.UTC(2030, 0, 1);
const clock = { now: () => NOW_MS };

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/**
 * A stand-in for a task's sidecar admin API: SIDECAR_ADMIN's real port on a loopback address of its own
 * (127.0.0.0/8 is all loopback on Linux), so GatewayEgress is tested against the contract's URL as it is.
 */
async function sidecar(
  answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<{ host: string; received: Received[]; server: http.Server }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      answer(req, res, body);
    });
  });
  for (let attempt = 0; ; attempt++) {
    const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(SIDECAR_ADMIN.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
      return { host: (server.address() as AddressInfo).address, received, server };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 5) throw e;
    }
  }
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const readyAt = (host: string, overrides: Partial<WorkspaceRecord> = {}) =>
  makeWorkspace(
    {
      status: 'ready',
      deadlineAt: null,
      runtime: 'ecs',
      endpoint: { kind: 'http', host, port: 9000 },
      ...overrides,
    },
    NOW_MS,
  );

const gateway = (opts: { adminTimeoutMs?: number } = {}) =>
  new GatewayEgress({
    rules: { put: () => Promise.reject(new Error('not used')) },
    signingKey: privateKey,
    clock,
    ...opts,
  });

const check = (token: string, audience: TokenAudience, workspaceId: string) =>
  verifyAgentToken(publicKey, token, { audience, workspaceId, nowSeconds: NOW_MS / 1000 });

const bearer = (r: Received) => (r.authorization ?? '').replace(/^Bearer /, '');

describe('GatewayEgress.admit', () => {
  it('PUTs an egress credential for the workspace, authorised by a short proxy token for it', async () => {
    const side = await sidecar((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ applied: true, expiresAt: 0 }));
    });
    const ws = readyAt(side.host);
    await gateway().admit(ws);

    expect(side.received).toHaveLength(1);
    const [got] = side.received;
    expect(got).toMatchObject({
      method: 'PUT',
      url: SIDECAR_ADMIN.credentialPath,
      contentType: 'application/json',
    });
    const proxy = check(bearer(got!), 'proxy', ws.id);
    expect(proxy.ok).toBe(true);
    if (proxy.ok) expect(proxy.claims.expiresAt - proxy.claims.issuedAt).toBeLessThanOrEqual(60);

    const body = JSON.parse(got!.body) as { token: string };
    expect(Object.keys(body)).toEqual(['token']);
    const credential = check(body.token, 'egress', ws.id);
    expect(credential).toEqual({
      ok: true,
      claims: {
        audience: 'egress',
        workspaceId: ws.id,
        issuedAt: NOW_MS / 1000,
        expiresAt: NOW_MS / 1000 + EGRESS_TOKEN_MAX_LIFETIME_SECONDS,
      },
    });
    // Each token is good for its own purpose only, and for this workspace only.
    expect(check(body.token, 'proxy', ws.id)).toEqual({ ok: false, reason: 'other_audience' });
    expect(check(bearer(got!), 'egress', ws.id)).toEqual({ ok: false, reason: 'other_audience' });
    expect(check(body.token, 'egress', 'ws_other')).toEqual({ ok: false, reason: 'other_workspace' });
  });

  it("on a pool member's task a resumed workspace took over: the member's sidecar, this workspace's credential", async () => {
    const side = await sidecar((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ applied: true, expiresAt: 0 }));
    });
    const ws = readyAt(side.host, { agentId: 'ws_member1' });
    await gateway().admit(ws);
    const [got] = side.received;
    // The sidecar is administered under the identity its task was started with…
    expect(check(bearer(got!), 'proxy', 'ws_member1').ok).toBe(true);
    expect(check(bearer(got!), 'proxy', ws.id)).toEqual({ ok: false, reason: 'other_workspace' });
    // …and told whose credential it now holds: the gateway applies this workspace's rules.
    const body = JSON.parse(got!.body) as { token: string; workspaceId: string };
    expect(body.workspaceId).toBe(ws.id);
    expect(check(body.token, 'egress', ws.id).ok).toBe(true);
  });

  it('a refusal is an error naming the status, and no token is in it', async () => {
    const side = await sidecar((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"unauthorized","message":"no"}}');
    });
    const ws = readyAt(side.host);
    const e = (await gateway()
      .admit(ws)
      .then(
        () => undefined,
        (err: unknown) => err,
      )) as Error;
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain('401');
    expect(e.message).toContain(ws.id);
    expect(JSON.stringify({ m: e.message, s: e.stack })).not.toContain('bat1.');
  });

  it('a sidecar that never answers is a 503 unavailable after the deadline', async () => {
    const side = await sidecar(() => {
      // never answers
    });
    const started = Date.now();
    const e = await gateway({ adminTimeoutMs: 300 })
      .admit(readyAt(side.host))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const took = Date.now() - started;
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('unavailable');
    expect((e as ApiError).message).toMatch(/proxy sidecar .* did not answer in time/);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    expect(side.received).toHaveLength(1);
  });

  it('a sidecar not listening is a 503 unavailable', async () => {
    // A loopback address nothing listens on.
    const e = await gateway()
      .admit(readyAt(`127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('unavailable');
    expect((e as ApiError).message).toContain('not reachable');
  });

  it('refuses a workspace without an http endpoint and sends nothing', async () => {
    const side = await sidecar((_req, res) => res.end());
    await expect(gateway().admit(readyAt(side.host, { endpoint: null }))).rejects.toThrow(/no task address/);
    await expect(
      gateway().admit(readyAt(side.host, { endpoint: { kind: 'uds', socketPath: '/tmp/agent.sock' } })),
    ).rejects.toThrow(/no task address/);
    expect(side.received).toHaveLength(0);
  });
});

describe('GatewayEgress.apply', () => {
  it('writes the rules, then answers only once the propagation time has passed', async () => {
    let putDoneAt = 0;
    const puts: [string, WorkspaceEgressRules][] = [];
    const egress = new GatewayEgress({
      rules: {
        put: async (id, rules) => {
          puts.push([id, rules]);
          putDoneAt = Date.now();
        },
      },
      signingKey: privateKey,
      propagationMs: 400,
    });
    const ws = readyAt('127.0.0.1');
    await egress.apply(ws, { allowDomains: ['a.example.com'] });
    expect(Date.now() - putDoneAt).toBeGreaterThanOrEqual(395);
    expect(puts).toEqual([[ws.id, { allowDomains: ['a.example.com'] }]]);
  });

  it('a refused write fails at once, without waiting', async () => {
    const egress = new GatewayEgress({
      rules: { put: () => Promise.reject(new ApiError('conflict', 'workspace is paused')) },
      signingKey: privateKey,
      propagationMs: 5_000,
    });
    const started = Date.now();
    await expect(egress.apply(readyAt('127.0.0.1'), { allowDomains: [] })).rejects.toThrow('paused');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

import { request } from 'node:http';
import { SIDECAR_ADMIN } from '@berth/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../helpers/admin.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  allowing,
  controlPlaneKeys,
  egressToken,
  MemoryPolicies,
  startTestGateway,
} from '../helpers/gateway.js';
import type { Upstream } from '../helpers/http.js';
import { startUpstream, viaProxy } from '../helpers/http.js';
import { eventually } from '../helpers/proxy.js';
import type { TestRelay } from './relay-setup.js';
import { adminToken, RELAY_WORKSPACE, startTestRelay } from './relay-setup.js';

const now = () => Math.floor(Date.now() / 1000);

describe("relay admin API (the control plane's only way in; the workspace reaches the port too)", () => {
  const keys = controlPlaneKeys();
  const strangerKeys = controlPlaneKeys();
  const policies = new MemoryPolicies();
  /** Every token made here: none may ever appear in a log line or an answer. */
  const tokens: string[] = [];
  const answers: string[] = [];
  let upstream: Upstream;
  let gateway: TestGateway;
  let relay: TestRelay;

  const made = (token: string) => (tokens.push(token), token);
  const credential = (workspaceId = RELAY_WORKSPACE, options: Parameters<typeof egressToken>[2] = {}) =>
    made(egressToken(keys.privateKey, workspaceId, options));
  const controlPlane = () => ({ authorization: `Bearer ${made(adminToken(keys.privateKey))}` });
  const put = async (headers: Record<string, string>, body: unknown) => {
    const reply = await admin(relay.adminPort, 'PUT', SIDECAR_ADMIN.credentialPath, { headers, body });
    answers.push(JSON.stringify(reply));
    return reply;
  };
  const health = async () => JSON.parse((await admin(relay.adminPort, 'GET', SIDECAR_ADMIN.healthPath)).body);
  const egressWorks = async () =>
    (await viaProxy({ port: relay.port }, `http://a.test:${upstream.port}/`)).status;

  beforeAll(async () => {
    upstream = await startUpstream();
    policies.policies.set(RELAY_WORKSPACE, { tenantId: 't_1', policy: allowing(`a.test:${upstream.port}`) });
    policies.policies.set('ws_other', { tenantId: 't_1', policy: allowing(`a.test:${upstream.port}`) });
    gateway = await startTestGateway(keys.publicKey, policies, { testHosts: { 'a.test': ['127.0.0.1'] } });
    relay = await startTestRelay(keys.publicKey, gateway.port);
  });

  afterAll(async () => {
    await relay.close();
    await gateway.close();
    await upstream.close();
    // Tokens travel only in requests: never in an answer, never in a log line.
    for (const token of tokens) {
      expect(answers.join('\n')).not.toContain(token);
      expect(JSON.stringify(relay.log)).not.toContain(token);
    }
  });

  it('answers GET /health without auth: ok, and no credential yet', async () => {
    const reply = await admin(relay.adminPort, 'GET', SIDECAR_ADMIN.healthPath);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok', credential: false });
    expect(await egressWorks()).toBe(503);
  });

  it.each([
    ['no Authorization', () => ({})],
    ['an empty bearer', () => ({ authorization: 'Bearer ' })],
    ['not a token', () => ({ authorization: 'Bearer not-a-token' })],
    ['a proxy token as Basic', () => ({ authorization: `Basic ${made(adminToken(keys.privateKey))}` })],
    [
      "an agent token (the workspace's agent sees those)",
      () => ({
        authorization: `Bearer ${made(adminToken(keys.privateKey, RELAY_WORKSPACE, { audience: 'agent' }))}`,
      }),
    ],
    ['an egress token (a credential)', () => ({ authorization: `Bearer ${credential()}` })],
    [
      "another workspace's proxy token",
      () => ({ authorization: `Bearer ${made(adminToken(keys.privateKey, 'ws_other'))}` }),
    ],
    [
      'a proxy token signed by another key',
      () => ({ authorization: `Bearer ${made(adminToken(strangerKeys.privateKey))}` }),
    ],
    [
      'an expired proxy token',
      () => ({
        authorization: `Bearer ${made(adminToken(keys.privateKey, RELAY_WORKSPACE, { issuedAt: now() - 400, lifetimeSeconds: 300 }))}`,
      }),
    ],
    [
      'a proxy token from the future',
      () => ({
        authorization: `Bearer ${made(adminToken(keys.privateKey, RELAY_WORKSPACE, { issuedAt: now() + 600 }))}`,
      }),
    ],
  ])('answers 401 to a credential PUT with %s, and takes nothing', async (_label, headers) => {
    const reply = await put(headers(), { token: credential() });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(reply.body)).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(await health()).toEqual({ status: 'ok', credential: false });
    expect(await egressWorks()).toBe(503);
  });

  it('answers 401 on every other path too, before saying whether it exists', async () => {
    for (const [method, path] of [
      ['GET', '/admin/nope'],
      ['POST', '/admin/config'],
      ['GET', SIDECAR_ADMIN.credentialPath],
    ] as const) {
      expect((await admin(relay.adminPort, method, path)).status, `${method} ${path}`).toBe(401);
    }
    expect((await admin(relay.adminPort, 'GET', '/admin/nope', { headers: controlPlane() })).status).toBe(
      404,
    );
    const wrongMethod = await admin(relay.adminPort, 'POST', SIDECAR_ADMIN.credentialPath, {
      headers: controlPlane(),
      body: { token: credential() },
    });
    expect(wrongMethod.status).toBe(405);
    expect((await admin(relay.adminPort, 'POST', SIDECAR_ADMIN.healthPath)).status).toBe(405);
  });

  it.each([
    ['for another workspace', () => credential('ws_other'), 'other_workspace'],
    ['of the proxy audience', () => made(adminToken(keys.privateKey)), 'other_audience'],
    ['of the agent audience', () => credential(RELAY_WORKSPACE, { audience: 'agent' }), 'other_audience'],
    [
      'signed by another key',
      () => made(egressToken(strangerKeys.privateKey, RELAY_WORKSPACE)),
      'bad_signature',
    ],
    [
      'expired',
      () => credential(RELAY_WORKSPACE, { issuedAt: now() - 700, lifetimeSeconds: 600 }),
      'expired',
    ],
    // Within the verifier's clock skew, but already over: it would only earn 407s.
    [
      'just expired',
      () => credential(RELAY_WORKSPACE, { issuedAt: now() - 610, lifetimeSeconds: 600 }),
      'expired',
    ],
    ['not a token', () => 'bat1.garbage', 'malformed'],
  ])('answers 400 to a credential %s, and keeps none', async (_label, token, reason) => {
    const reply = await put(controlPlane(), { token: token() });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({
      error: { code: 'invalid_credential', message: `the proxy credential was refused (${reason})` },
    });
    expect(await health()).toEqual({ status: 'ok', credential: false });
  });

  it.each([
    ['not JSON', '{"token":', 400, 'invalid_json'],
    ['no token', {}, 400, 'invalid_request'],
    ['a token that is not a string', { token: 5 }, 400, 'invalid_request'],
    ['an unknown field', { token: 'bat1.x', extra: true }, 400, 'invalid_request'],
    ['an array', ['bat1.x'], 400, 'invalid_request'],
    ['a body over 16 KiB', { token: 'x'.repeat(20 * 1024) }, 413, 'payload_too_large'],
  ])('answers a body with %s with %i %s', async (_label, body, status, code) => {
    const reply = await put(controlPlane(), body);
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body).error.code).toBe(code);
  });

  it('answers 415 to a body that is not JSON by its type', async () => {
    const reply = await put(
      { ...controlPlane(), 'content-type': 'text/plain' },
      JSON.stringify({ token: 'x' }),
    );
    expect(reply.status).toBe(415);
  });

  it('refuses an oversized body it is still receiving without reading it all', async () => {
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: relay.adminPort,
          method: 'PUT',
          path: SIDECAR_ADMIN.credentialPath,
          headers: {
            ...controlPlane(),
            'content-type': 'application/json',
            'content-length': 10 * 1024 * 1024,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"token":"');
    });
    expect(reply).toBe(413);
  });

  it('takes a credential from the control plane and forwards with it from the next request on', async () => {
    expect(await egressWorks()).toBe(503);
    const issuedAt = now();
    const expiresAt = issuedAt + 3600;
    const reply = await put(controlPlane(), {
      token: credential(RELAY_WORKSPACE, { issuedAt, lifetimeSeconds: 3600 }),
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ applied: true, expiresAt });
    expect(await health()).toEqual({ status: 'ok', credential: true });
    expect(await egressWorks()).toBe(200);
    await eventually(() => gateway.audit.some((e) => e.workspaceId === RELAY_WORKSPACE && e.status === 200));
    expect(relay.log).toContainEqual({
      level: 'info',
      message: 'proxy credential updated',
      attributes: [{ workspaceId: RELAY_WORKSPACE, expiresAt }],
    });
  });

  it('replaces the credential with a newer one, and keeps it when a bad one is offered', async () => {
    const newer = credential(RELAY_WORKSPACE, { lifetimeSeconds: 7200 });
    const reply = await put(controlPlane(), { token: newer });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).expiresAt).toBeGreaterThan(now() + 3600);
    expect((await put(controlPlane(), { token: credential('ws_other') })).status).toBe(400);
    expect(await egressWorks()).toBe(200);
    expect(relay.log.some((l) => l.level === 'warn' && l.message === 'proxy credential refused')).toBe(true);
  });

  it('on a task a resumed workspace took over, takes the credential of the workspace the control plane names', async () => {
    // Named by the control plane alone (the call needs its proxy token for this relay): then the gateway
    // sees, audits and applies the rules of that workspace.
    const reply = await put(controlPlane(), { token: credential('ws_other'), workspaceId: 'ws_other' });
    expect(reply.status).toBe(200);
    expect(await egressWorks()).toBe(200);
    await eventually(() => gateway.audit.some((e) => e.workspaceId === 'ws_other' && e.status === 200));
    // A credential that is not the named workspace's is refused, the held one kept.
    const wrong = await put(controlPlane(), { token: credential(RELAY_WORKSPACE), workspaceId: 'ws_third' });
    expect(wrong.status).toBe(400);
    expect(await egressWorks()).toBe(200);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WORKSPACE_AGENT_LIMITS } from '@berth/protocol';
import { agentToken, authHeader, startTestAgent, WORKSPACE_ID, type TestAgent } from './helpers.js';

describe.each(['uds', 'http'] as const)('agent server over %s', (listenMode) => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent({ listenMode });
  });
  afterAll(() => t.stop());

  it('reports running commands in /health, so a busy workspace is not swept as idle', async () => {
    const before = (await t.call('GET', '/health', { token: null })).json();
    expect(before.runningCommands).toBe(0);
    const running = t.call('POST', '/exec', { body: { cmd: ['sleep', '0.6'] } });
    await new Promise((r) => setTimeout(r, 250));
    expect((await t.call('GET', '/health', { token: null })).json().runningCommands).toBe(1);
    expect((await running).status).toBe(200);
    expect((await t.call('GET', '/health', { token: null })).json().runningCommands).toBe(0);
  });

  it('answers /health without a token', async () => {
    const r = await t.call('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect(typeof body.uptimeMs).toBe('number');
  });

  it('refuses requests without a token or with a wrong one', async () => {
    const valid = agentToken();
    for (const token of [null, 'wrong-token-0123456789', `${valid}x`, valid.slice(0, -2), '']) {
      const r = await t.call('POST', '/exec', { token, body: { cmd: ['true'] } });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const basic = await t.call('GET', '/files', {
      token: null,
      headers: { authorization: `Basic ${valid}` },
    });
    expect(basic.status).toBe(401);
  });

  it('accepts the token with any case of "Bearer"', async () => {
    const r = await t.call('GET', '/files', {
      token: null,
      headers: { authorization: authHeader().replace('Bearer ', 'bEaReR ') },
    });
    expect(r.status).toBe(200);
  });

  it('hides unknown routes from unauthenticated callers and 404s them otherwise', async () => {
    expect((await t.call('GET', '/nope', { token: null })).status).toBe(401);
    const r = await t.call('GET', '/nope');
    expect(r.status).toBe(404);
    expect(r.json().error.code).toBe('not_found');
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const r = await t.call('GET', '/exec');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
    expect(r.json().error.code).toBe('method_not_allowed');
    expect((await t.call('POST', '/health', { token: null })).status).toBe(405);
  });

  it('needs application/json for JSON endpoints (415)', async () => {
    const r = await t.call('POST', '/exec', {
      body: '{"cmd":["true"]}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(r.status).toBe(415);
    expect(r.json().error.code).toBe('unsupported_media_type');
    const none = await t.call('POST', '/exec', { body: '{"cmd":["true"]}' });
    expect(none.status).toBe(415);
    const withCharset = await t.call('POST', '/exec', {
      body: '{"cmd":["true"]}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(withCharset.status).toBe(200);
  });

  it('answers 400 to malformed JSON and to JSON that is not an object', async () => {
    for (const body of ['{"cmd":', '[1,2]', 'null', '']) {
      const r = await t.call('POST', '/exec', { body, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(400);
      expect(r.json().error.code).toBe('invalid_request');
    }
  });

  it('answers 413 to bodies over 6 MiB, JSON or raw', async () => {
    const big = Buffer.alloc(WORKSPACE_AGENT_LIMITS.maxBodyBytes + 1, 0x61);
    const json = await t.call('POST', '/exec', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(413);
    expect(json.json().error.code).toBe('payload_too_large');
    const raw = await t.call('PUT', '/files?path=big.bin', { body: big });
    expect(raw.status).toBe(413);
    expect((await t.call('GET', '/files?path=big.bin')).status).toBe(404);
    // Exactly the limit is fine.
    const ok = await t.call('PUT', '/files?path=ok.bin', { body: big.subarray(1) });
    expect(ok.status).toBe(204);
  });

  it('logs one JSON line per request, without the token or query string', async () => {
    const token = agentToken();
    await t.call('GET', '/files?path=secret-name.txt', { token });
    const lines = t.logs.map((l) => JSON.parse(l));
    const last = lines.findLast((l) => l.path === '/files');
    expect(last).toMatchObject({ method: 'GET', path: '/files', status: 404 });
    expect(last).not.toHaveProperty('authRefused');
    expect(typeof last.durationMs).toBe('number');
    expect(t.logs.join('\n')).not.toContain(token);
    expect(t.logs.join('\n')).not.toContain('secret-name');
  });
});

/**
 * Agent tokens over the wire: two agents trusting the same key, as two workspaces of one control plane do.
 * A token is good for its own workspace, within its lifetime, signed by that key, and nowhere else.
 */
describe('agent tokens', () => {
  let a: TestAgent;
  let b: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent({ workspaceId: 'ws_a' });
    b = await startTestAgent({ workspaceId: 'ws_b' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  /** The status of GET /files with `token`, and what the agent logged about refusing it. */
  async function attempt(t: TestAgent, token: string | null) {
    const before = t.logs.length;
    const r = await t.call('GET', '/files', { token });
    await vi.waitFor(() => expect(t.logs.length).toBeGreaterThan(before)); // written once the response closes
    const line = JSON.parse(t.logs.at(-1) ?? '{}');
    expect(line).toMatchObject({ path: '/files', status: r.status });
    if (token) expect(t.logs.join('\n')).not.toContain(token);
    return { status: r.status, refused: line.authRefused as string | undefined };
  }

  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a valid token for its own workspace', async () => {
    expect(await attempt(a, agentToken({ workspaceId: 'ws_a' }))).toEqual({
      status: 200,
      refused: undefined,
    });
    expect(await attempt(b, agentToken({ workspaceId: 'ws_b' }))).toEqual({
      status: 200,
      refused: undefined,
    });
  });

  it("refuses a token for workspace A at B's agent, and the other way round", async () => {
    expect(await attempt(b, agentToken({ workspaceId: 'ws_a' }))).toEqual({
      status: 401,
      refused: 'other_workspace',
    });
    expect(await attempt(a, agentToken({ workspaceId: 'ws_b' }))).toEqual({
      status: 401,
      refused: 'other_workspace',
    });
    expect((await attempt(a, agentToken({ workspaceId: WORKSPACE_ID }))).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    // Past the 30 s of clock skew the agent allows.
    const expired = agentToken({ workspaceId: 'ws_a', issuedAt: now() - 400, expiresAt: now() - 60 });
    expect(await attempt(a, expired)).toEqual({ status: 401, refused: 'expired' });
    const notYet = agentToken({ workspaceId: 'ws_a', issuedAt: now() + 120, expiresAt: now() + 300 });
    expect(await attempt(a, notYet)).toEqual({ status: 401, refused: 'not_yet_valid' });
  });

  it('refuses a token signed by another key', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = agentToken({ workspaceId: 'ws_a', privateKey: other });
    expect(await attempt(a, forged)).toEqual({ status: 401, refused: 'bad_signature' });
  });

  it('refuses a missing or malformed token, and logs why', async () => {
    expect(await attempt(a, null)).toEqual({ status: 401, refused: 'missing' });
    expect(await attempt(a, 'not-an-agent-token')).toEqual({ status: 401, refused: 'malformed' });
  });

  it('needs no token for /health', async () => {
    const r = await a.call('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.json().status).toBe('ok');
    expect((await a.call('GET', '/health', { token: 'garbage' })).status).toBe(200);
  });
});

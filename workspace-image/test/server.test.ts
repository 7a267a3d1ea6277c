import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_AGENT_LIMITS } from '@berth/protocol';
import { startTestAgent, TOKEN, type TestAgent } from './helpers.js';

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
    for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`, '']) {
      const r = await t.call('POST', '/exec', { token, body: { cmd: ['true'] } });
      expect(r.status).toBe(401);
      expect(r.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const basic = await t.call('GET', '/files', {
      token: null,
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.status).toBe(401);
  });

  it('accepts the token with any case of "Bearer"', async () => {
    const r = await t.call('GET', '/files', { token: null, headers: { authorization: `bearer ${TOKEN}` } });
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
    await t.call('GET', '/files?path=secret-name.txt');
    const lines = t.logs.map((l) => JSON.parse(l));
    const last = lines.findLast((l) => l.path === '/files');
    expect(last).toMatchObject({ method: 'GET', path: '/files', status: 404 });
    expect(typeof last.durationMs).toBe('number');
    expect(t.logs.join('\n')).not.toContain(TOKEN);
    expect(t.logs.join('\n')).not.toContain('secret-name');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from './helpers/admin.js';
import type { Upstream } from './helpers/http.js';
import { startUpstream, viaProxy } from './helpers/http.js';
import type { TestProxy } from './helpers/proxy.js';
import { ADMIN_SECRET, startTestProxy, testConfig } from './helpers/proxy.js';

describe('admin API', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const bearer = { authorization: `Bearer ${ADMIN_SECRET}` };

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => res.end('ok'));
    proxy = await startTestProxy(
      testConfig({ testHosts: { 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'] } }),
    );
    proxy.policy.update({
      allowDomains: [{ name: 'a.test', wildcard: false, port: upstream.port }],
      headerRules: [{ host: 'a.test', headers: { 'x-token': 'old' }, upstreamScheme: 'http' }],
    });
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it.each([
    ['no secret', {}],
    ['a wrong bearer secret', { authorization: 'Bearer wrong-secret-wrong-secret' }],
    ['a prefix of the secret', { authorization: `Bearer ${ADMIN_SECRET.slice(0, -1)}` }],
    ['the secret with a suffix', { 'x-admin-secret': `${ADMIN_SECRET}x` }],
    ['a wrong X-Admin-Secret', { 'x-admin-secret': 'nope' }],
    ['the secret as Basic auth', { authorization: `Basic ${ADMIN_SECRET}` }],
  ])('answers 401 to %s, on every route', async (_label, headers) => {
    for (const [method, path] of [
      ['GET', '/health'],
      ['GET', '/admin/stats'],
      ['POST', '/admin/config'],
      ['POST', '/admin/update-rules'],
    ] as const) {
      const reply = await admin(proxy.adminPort, method, path, {
        headers,
        body: method === 'POST' ? [] : undefined,
      });
      expect(reply.status, `${method} ${path}`).toBe(401);
      expect(JSON.parse(reply.body)).toEqual({
        error: { code: 'unauthorized', message: 'missing or wrong admin secret' },
      });
    }
    // Nothing changed: the old rule still applies.
    await viaProxy({ port: proxy.port }, `http://a.test:${upstream.port}/`);
    expect(upstream.seen.at(-1)?.headers['x-token']).toBe('old');
  });

  it('accepts the secret as Bearer or X-Admin-Secret', async () => {
    expect((await admin(proxy.adminPort, 'GET', '/health', { headers: bearer })).status).toBe(200);
    const health = await admin(proxy.adminPort, 'GET', '/health', {
      headers: { 'x-admin-secret': ADMIN_SECRET },
    });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
  });

  it.each([
    ['not JSON', '{"host":'],
    ['an object that is not a rule list', { host: 'a.test' }],
    ['a rule without headers', [{ host: 'a.test' }]],
    ['a bad host', [{ host: 'not a host', headers: { a: 'b' } }]],
    ['a host with a port', [{ host: 'a.test:443', headers: { a: 'b' } }]],
    ['a header value with CRLF', [{ host: 'a.test', headers: { 'x-token': 'a\r\nx-evil: 1' } }]],
    ['a reserved header', [{ host: 'a.test', headers: { 'Content-Length': '5' } }]],
    ['a non-string value', [{ host: 'a.test', headers: { 'x-token': 5 } }]],
    ['an unknown field', [{ host: 'a.test', headers: {}, extra: true }]],
    ['a bad upstream scheme', [{ host: 'a.test', headers: {}, upstreamScheme: 'ftp' }]],
  ])('answers 400 to update-rules with %s and keeps the old rules', async (_label, body) => {
    const reply = await admin(proxy.adminPort, 'POST', '/admin/update-rules', { headers: bearer, body });
    expect(reply.status).toBe(400);
    const error = JSON.parse(reply.body).error;
    expect(['invalid_json', 'invalid_request']).toContain(error.code);
    expect(typeof error.message).toBe('string');
    await viaProxy({ port: proxy.port }, `http://a.test:${upstream.port}/`);
    expect(upstream.seen.at(-1)?.headers['x-token']).toBe('old');
  });

  it('also takes {rules:[...]} and an empty list that removes all rules', async () => {
    const ok = await admin(proxy.adminPort, 'POST', '/admin/update-rules', {
      headers: bearer,
      body: { rules: [{ host: 'a.test', headers: { 'x-token': 'new' }, upstreamScheme: 'http' }] },
    });
    expect(ok.status).toBe(200);
    await viaProxy({ port: proxy.port }, `http://a.test:${upstream.port}/`);
    expect(upstream.seen.at(-1)?.headers['x-token']).toBe('new');
    expect(
      (await admin(proxy.adminPort, 'POST', '/admin/update-rules', { headers: bearer, body: [] })).status,
    ).toBe(200);
    await viaProxy({ port: proxy.port }, `http://a.test:${upstream.port}/`);
    expect(upstream.seen.at(-1)?.headers['x-token']).toBeUndefined();
  });

  it('changes the allowlist live with POST /admin/config, and rejects a bad one without changing anything', async () => {
    const target = `http://b.test:${upstream.port}/`;
    expect((await viaProxy({ port: proxy.port }, target)).status).toBe(403);
    const ok = await admin(proxy.adminPort, 'POST', '/admin/config', {
      headers: bearer,
      body: { allowDomains: [`a.test:${upstream.port}`, `b.test:${upstream.port}`] },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      applied: true,
      allowDomains: [`a.test:${upstream.port}`, `b.test:${upstream.port}`],
    });
    expect((await viaProxy({ port: proxy.port }, target)).status).toBe(200);

    for (const body of [
      { allowDomains: ['ok.test', 'bad domain'] },
      { allowDomains: 'a.test' },
      { anthropic: { hosts: ['api.anthropic.com'] } }, // no key anywhere
      { bedrock: { region: 'mars' } },
      { somethingElse: 1 },
    ]) {
      const bad = await admin(proxy.adminPort, 'POST', '/admin/config', { headers: bearer, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(bad.body).error.code).toBe('invalid_request');
    }
    expect((await viaProxy({ port: proxy.port }, target)).status).toBe(200);
  });

  it('turns Anthropic injection on through the config and never echoes the key', async () => {
    const reply = await admin(proxy.adminPort, 'POST', '/admin/config', {
      headers: bearer,
      body: { anthropic: { apiKey: 'sk-ant-secret-value', hosts: ['b.test'], upstreamScheme: 'http' } },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).not.toContain('sk-ant-secret-value');
    await viaProxy({ port: proxy.port }, `http://b.test:${upstream.port}/`, {
      headers: { 'x-api-key': 'placeholder' },
    });
    expect(upstream.seen.at(-1)?.headers['x-api-key']).toBe('sk-ant-secret-value');
  });

  it('serves stats', async () => {
    const reply = await admin(proxy.adminPort, 'GET', '/admin/stats', { headers: bearer });
    expect(reply.status).toBe(200);
    const stats = JSON.parse(reply.body);
    expect(stats.requests).toBeGreaterThan(10);
    expect(stats.blocked).toBeGreaterThanOrEqual(1);
    expect(stats.blockedByReason.domain_not_allowed).toBeGreaterThanOrEqual(1);
    expect(stats.policyVersion).toBeGreaterThan(1);
  });

  it('answers 404 for unknown routes and 405 for wrong methods', async () => {
    expect((await admin(proxy.adminPort, 'GET', '/nope', { headers: bearer })).status).toBe(404);
    expect((await admin(proxy.adminPort, 'GET', '/admin/update-rules', { headers: bearer })).status).toBe(
      405,
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProxy } from './helpers/child-proxy.js';
import { spawnProxy } from './helpers/child-proxy.js';
import type { Upstream } from './helpers/http.js';
import { startUpstream, viaProxy } from './helpers/http.js';
import type { TestProxy } from './helpers/proxy.js';
import { eventually, startTestProxy, testConfig } from './helpers/proxy.js';
import { verifySigV4 } from './helpers/sigv4-verify.js';

const PLACEHOLDER = 'sk-ant-placeholder-from-workspace';
const REAL_KEY = 'sk-ant-api03-real-key-only-the-proxy-has';

describe('Anthropic key and MCP header rules', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const url = (host: string, path = '/v1/messages') => `http://${host}:${upstream.port}${path}`;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => res.end('{"ok":true}'));
    const hosts = ['api.anthropic.com', 'mcp.tools.test', 'other.test'];
    const config = testConfig({
      testHosts: Object.fromEntries(hosts.map((h) => [h, ['127.0.0.1']])),
    });
    config.policy = {
      allowDomains: hosts.map((name) => ({ name, wildcard: false, port: upstream.port })),
      anthropic: { apiKey: REAL_KEY, hosts: ['api.anthropic.com'], upstreamScheme: 'http' },
      bedrock: null,
      headerRules: [
        {
          host: 'mcp.tools.test',
          headers: { authorization: 'Bearer mcp-token-1', 'x-mcp-tenant': 't1' },
          upstreamScheme: 'http',
        },
      ],
    };
    proxy = await startTestProxy(config);
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('replaces the placeholder x-api-key with the real key and drops the workspace Authorization', async () => {
    const reply = await viaProxy({ port: proxy.port }, url('api.anthropic.com'), {
      method: 'POST',
      headers: {
        'x-api-key': PLACEHOLDER,
        authorization: `Bearer ${PLACEHOLDER}`,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: '{"model":"claude","messages":[]}',
    });
    expect(reply.status).toBe(200);
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['x-api-key']).toBe(REAL_KEY);
    expect(seen?.headers['authorization']).toBeUndefined();
    expect(seen?.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen?.rawHeaders.join('\n')).not.toContain(PLACEHOLDER);
    expect(seen?.body.toString()).toBe('{"model":"claude","messages":[]}');
    await eventually(() => proxy.audit.some((e) => e.host === 'api.anthropic.com'));
    expect(proxy.audit.find((e) => e.host === 'api.anthropic.com')?.injected).toEqual(['anthropic']);
    expect(JSON.stringify(proxy.audit)).not.toContain(REAL_KEY);
  });

  it('leaves hosts without rules alone', async () => {
    await viaProxy({ port: proxy.port }, url('other.test', '/x'), {
      headers: { 'x-api-key': 'own-key', authorization: 'Bearer own' },
    });
    const seen = upstream.seen.at(-1);
    expect(seen?.url).toBe('/x');
    expect(seen?.headers['x-api-key']).toBe('own-key');
    expect(seen?.headers['authorization']).toBe('Bearer own');
    expect(seen?.headers['x-mcp-tenant']).toBeUndefined();
  });

  it('applies MCP header rules to their host only, replacing the workspace value', async () => {
    await viaProxy({ port: proxy.port }, url('mcp.tools.test', '/mcp'), {
      headers: { authorization: 'Bearer forged' },
    });
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['authorization']).toBe('Bearer mcp-token-1');
    expect(seen?.headers['x-mcp-tenant']).toBe('t1');
    await viaProxy({ port: proxy.port }, url('other.test', '/y'));
    expect(upstream.seen.at(-1)?.headers['x-mcp-tenant']).toBeUndefined();
  });

  it('applies header rules changed live in the policy store (as the local host does)', async () => {
    proxy.policy.update({
      headerRules: [
        { host: 'mcp.tools.test', headers: { authorization: 'Bearer mcp-token-2' }, upstreamScheme: 'http' },
        { host: 'other.test', headers: { 'x-added': 'yes' }, upstreamScheme: 'http' },
      ],
    });

    await viaProxy({ port: proxy.port }, url('mcp.tools.test', '/mcp'));
    expect(upstream.seen.at(-1)?.headers['authorization']).toBe('Bearer mcp-token-2');
    expect(upstream.seen.at(-1)?.headers['x-mcp-tenant']).toBeUndefined();
    await viaProxy({ port: proxy.port }, url('other.test', '/z'), {
      headers: { authorization: 'Bearer own' },
    });
    expect(upstream.seen.at(-1)?.headers['x-added']).toBe('yes');
    // other.test has a rule now: the workspace's own credential no longer reaches it.
    expect(upstream.seen.at(-1)?.headers['authorization']).toBeUndefined();
  });
});

describe('Bedrock SigV4 signing (proxy as its own process, credentials from its environment)', () => {
  const REGION = 'us-east-1';
  const HOST = `bedrock-runtime.${REGION}.amazonaws.com`;
  const credentials = {
    accessKeyId: 'AKIDBERTHTEST0000001',
    secretAccessKey: 'berth/test/secret/key/0123456789abcdefghij',
  };
  let upstream: Upstream;
  let proxy: ChildProxy;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => res.end('{"content":[]}'));
    proxy = await spawnProxy({
      PROXY_LISTEN: '127.0.0.1:0',
      PROXY_ALLOW_DOMAINS: `${HOST}:${upstream.port}`,
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_TEST_HOSTS: `${HOST}=127.0.0.1`,
      PROXY_BEDROCK_REGION: REGION,
      PROXY_BEDROCK_UPSTREAM_SCHEME: 'http',
      PROXY_WORKSPACE_ID: 'ws_bedrock',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: 'session-token-from-proxy-env',
    });
  });

  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  it.each([
    [
      'a raw colon',
      '/model/anthropic.claude-3-5-sonnet-20241022-v2:0/invoke',
      '/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke',
    ],
    [
      '%3A as the AWS SDK sends it',
      '/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke-with-response-stream',
      '/model/anthropic.claude-3-5-sonnet-20241022-v2%253A0/invoke-with-response-stream',
    ],
  ])('re-signs a request whose model id has %s', async (_label, path, canonicalUri) => {
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: [] });
    const reply = await viaProxy({ port: proxy.port }, `http://${HOST}:${upstream.port}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDWORKSPACEFORGED/20200101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-security-token': 'workspace-token',
      },
      body,
    });
    expect(reply.status).toBe(200);
    const seen = upstream.seen.at(-1);
    if (!seen) throw new Error('upstream saw nothing');
    expect(seen.url).toBe(path); // forwarded exactly as sent
    expect(seen.body.toString()).toBe(body);
    expect(seen.headers['x-amz-security-token']).toBe('session-token-from-proxy-env');
    const check = verifySigV4(seen, credentials, REGION, 'bedrock');
    expect(check.canonicalUri).toBe(canonicalUri);
    expect(check.accessKeyId).toBe(credentials.accessKeyId);
    expect(check.signedHeaders).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'content-type', 'x-amz-security-token']),
    );
    expect(check.valid).toBe(true);
    // A tampered body must not verify: the check is real.
    expect(
      verifySigV4({ ...seen, body: Buffer.from(`${body} `) }, credentials, REGION, 'bedrock').valid,
    ).toBe(false);
  });

  it('writes an audit line naming the injector, without the query string', async () => {
    await viaProxy({ port: proxy.port }, `http://${HOST}:${upstream.port}/model/m:0/invoke?secret=abc`, {
      method: 'POST',
      body: '{}',
    });
    await eventually(() =>
      proxy.lines.some((l) => l['message'] === 'egress' && l['path'] === '/model/m:0/invoke'),
    );
    const line = proxy.lines.find((l) => l['message'] === 'egress' && l['path'] === '/model/m:0/invoke');
    expect(line).toMatchObject({
      service: 'proxy-sidecar',
      workspaceId: 'ws_bedrock',
      method: 'POST',
      host: HOST,
      port: upstream.port,
      status: 200,
      bytesIn: 2,
      decision: 'allowed',
      injected: ['bedrock'],
    });
    expect(typeof line?.['durationMs']).toBe('number');
    expect(JSON.stringify(proxy.lines)).not.toContain('secret=abc');
    expect(JSON.stringify(proxy.lines)).not.toContain(credentials.secretAccessKey);
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxySocketPath } from '../../local-docker/src/runtime/paths.js';
import { startFakeMessagesApi, type FakeMessagesApi } from '../support/fake-messages-api.js';
import { expectErrorShape, uniq, useLocalBerth, type ApiAnswer } from '../support/local-berth.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

// The egress proxy wired into local Docker, end to end: a real host, real workspace containers (network
// none), the per-workspace proxy on a Unix socket in the read-only host dir, real HTTP upstreams on the
// host's 127.0.0.1 and the real Claude Agent SDK inside the workspace.
//
// Safe by construction: the workspace has no network interface but `lo`, so every refusal below is
// refused without a packet leaving it; the proxy resolves names only through a test table pointing at
// 127.0.0.1 (allowLoopback is a test-only switch), so it can reach nothing but the servers started here.

const REAL_KEY = `sk-ant-real-${randomBytes(12).toString('hex')}`;
const PLACEHOLDER_KEY = 'sk-placeholder';
const MCP_TOKEN = `mcp-secret-${randomBytes(8).toString('hex')}`;
const NAMES = ['allowed.test', 'blocked.test', 'later.test', 'mcp.test', 'api.anthropic.test'];

let upstream: RecordingUpstream;
let anthropic: FakeMessagesApi;
let id: string;

// The fakes first: the host's egress settings name their ports.
beforeAll(async () => {
  upstream = await startRecordingUpstream();
  anthropic = await startFakeMessagesApi('hello');
});
afterAll(() => Promise.all([upstream?.close(), anthropic?.close()]));

const b = useLocalBerth({
  egress: () => ({
    allowDomains: [`allowed.test:${upstream.port}`],
    anthropicApiKey: REAL_KEY,
    anthropicUpstream: `http://api.anthropic.test:${anthropic.port}`,
    // Test-only switches: loopback upstreams, a DNS table of test names, plain HTTP for header rules.
    allowLoopback: true,
    testHosts: Object.fromEntries(NAMES.map((n) => [n, ['127.0.0.1']])),
    headerRulesUpstreamScheme: 'http',
  }),
});
const keys = b.keys;

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

/** The fixture's call; a string body goes as octet-stream (file uploads). */
function api(method: string, p: string, body?: unknown, key = keys.A): Promise<ApiAnswer> {
  const headers = typeof body === 'string' ? { 'content-type': 'application/octet-stream' } : undefined;
  return b.api(method, p, { body, key, ...(headers ? { headers } : {}) });
}

const putEgress = (body: unknown, key = keys.A, ws = id) =>
  api('PUT', `/v1/workspaces/${ws}/egress`, body, key);

async function exec(cmd: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  const r = await api('POST', `/v1/workspaces/${id}/exec`, { cmd, env, timeoutMs });
  expect(r.status, r.text).toBe(200);
  return { status: r.status, json: r.json, text: r.text };
}

/** `curl -i` inside the workspace (through HTTP_PROXY unless told otherwise): status, headers, body. */
async function curlIn(url: string, ...extra: string[]) {
  const r = await exec(['curl', '-sS', '-i', '-m', '10', ...extra, url]);
  const out: string = r.json.stdout;
  const split = out.indexOf('\r\n\r\n');
  const head = split < 0 ? '' : out.slice(0, split);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1] ?? 0);
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return {
    exitCode: r.json.exitCode as number,
    status,
    headers,
    body: split < 0 ? '' : out.slice(split + 4),
    stderr: r.json.stderr as string,
  };
}

const url = (name: string, p: string) => `http://${name}:${upstream.port}${p}`;

beforeAll(async () => {
  const created = await api('POST', '/v1/workspaces', { conversationId: uniq('egress') });
  expect(created.status, created.text).toBe(201);
  id = created.json.id;
});

describe('the workspace reaches the outside only through its proxy', () => {
  it('commands get HTTP(S)_PROXY pointing at the forwarder on 127.0.0.1:3128', async () => {
    const r = await exec(['sh', '-c', 'echo "$HTTP_PROXY|$HTTPS_PROXY|$http_proxy"']);
    expect(r.json.stdout).toBe('http://127.0.0.1:3128|http://127.0.0.1:3128|http://127.0.0.1:3128\n');
    expect(existsSync(proxySocketPath(b.stateDir, id))).toBe(true);
  });

  it('curl to an allowed name (host allowlist) gets the upstream body', async () => {
    const r = await curlIn(url('allowed.test', '/hello'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`upstream allowed.test:${upstream.port} /hello\n`);
    expect(upstream.seen('/hello')).toHaveLength(1);
  });

  it('an unlisted name gets 403 from the proxy with the reason, and nothing reaches the upstream', async () => {
    const r = await curlIn(url('blocked.test', '/blocked-1'));
    expect(r.status).toBe(403);
    expect(r.headers['x-berth-proxy-blocked']).toBe('domain_not_allowed');
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'domain_not_allowed' } });
    // A listed name on another port is refused too.
    const port = await curlIn(`http://allowed.test:${anthropic.port}/blocked-2`);
    expect(port.status).toBe(403);
    expect(port.headers['x-berth-proxy-blocked']).toBe('port_not_allowed');
    expect(upstream.seen('/blocked')).toHaveLength(0);
  });

  it('direct connections fail: the container has no network but its own loopback', async () => {
    const direct = await curlIn(`http://127.0.0.1:${upstream.port}/direct`, '--noproxy', '*');
    expect(direct.exitCode).not.toBe(0); // 7: nothing listens on the CONTAINER's 127.0.0.1:<port>
    expect(direct.status).toBe(0);
    const byName = await curlIn(url('allowed.test', '/direct-name'), '--noproxy', '*');
    expect(byName.exitCode).not.toBe(0); // 6: no DNS either
    expect(upstream.seen('/direct')).toHaveLength(0);
    // No interface but lo and no route at all: a connection to any other address cannot even start.
    const net = await exec(['sh', '-c', 'ls /sys/class/net; tail -n +2 /proc/net/route | wc -l']);
    expect(net.json.stdout).toBe('lo\n0\n');
  });
});

describe('PUT /v1/workspaces/{id}/egress', () => {
  it('adding a domain makes it reachable at once, in the running workspace', async () => {
    expect((await curlIn(url('later.test', '/later-before'))).status).toBe(403);
    const r = await putEgress({ allowDomains: [`later.test:${upstream.port}`] });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ applied: true });
    const after = await curlIn(url('later.test', '/later-after'));
    expect(after.status).toBe(200);
    expect(after.body).toBe(`upstream later.test:${upstream.port} /later-after\n`);
    // The operator's base allowlist stays underneath the workspace's own list.
    expect((await curlIn(url('allowed.test', '/still-base'))).status).toBe(200);
    expect(upstream.seen('/later-before')).toHaveLength(0);
  });

  it('a header rule adds its header at that host only; the workspace never sees the value', async () => {
    const r = await putEgress({
      allowDomains: [`later.test:${upstream.port}`, `mcp.test:${upstream.port}`],
      headerRules: [{ host: 'mcp.test', headers: { 'X-MCP-Token': MCP_TOKEN } }],
    });
    expect(r.status, r.text).toBe(200);
    expect((await curlIn(url('mcp.test', '/mcp-1'))).status).toBe(200);
    expect((await curlIn(url('later.test', '/not-mcp'))).status).toBe(200);
    expect(upstream.seen('/mcp-1')[0]?.headers['x-mcp-token']).toBe(MCP_TOKEN);
    expect(upstream.seen('/not-mcp')[0]?.headers['x-mcp-token']).toBeUndefined();
    // The workspace's own value for a ruled header never gets through: the proxy's wins.
    await curlIn(url('mcp.test', '/mcp-2'), '-H', 'x-mcp-token: forged');
    expect(upstream.seen('/mcp-2')[0]?.headers['x-mcp-token']).toBe(MCP_TOKEN);
    const env = await exec([
      'sh',
      '-c',
      `grep -rl ${MCP_TOKEN} /workspace /tmp /run/berth 2>/dev/null | wc -l`,
    ]);
    expect(env.json.stdout.trim()).toBe('0');
  });

  it('bad bodies are 400 in API.md shape and the old rules stay in force', async () => {
    const bad: unknown[] = [
      { allowDomains: ['not a domain'] },
      { allowDomains: ['10.0.0.1'] },
      { allowDomains: ['x.test:70000'] },
      { allowDomains: Array.from({ length: 101 }, (_, i) => `d${i}.test`) },
      { headerRules: [{ host: 'mcp.test', headers: { 'x-a': 'v\r\nx-evil: 1' } }] },
      { headerRules: [{ host: 'mcp.test', headers: { 'bad name': 'v' } }] },
      { headerRules: [{ host: 'mcp.test', headers: { host: 'elsewhere' } }] },
      { headerRules: [{ host: 'mcp.test:80', headers: { 'x-a': 'v' } }] },
      {
        headerRules: Array.from({ length: 51 }, (_, i) => ({ host: `h${i}.test`, headers: { 'x-a': 'v' } })),
      },
      { allowDomains: [], extra: true },
      {},
      [],
    ];
    for (const body of bad) {
      const r = await putEgress(body);
      expectErrorShape(r, 400, 'invalid_request');
    }
    expectErrorShape(await putEgress('{"allowDomains": ['), 415);
    const broken = await fetch(`${b.url}/v1/workspaces/${id}/egress`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keys.A}`, 'content-type': 'application/json' },
      body: '{"allowDomains": [',
    });
    expect(broken.status).toBe(400);
    // Still the rules of the last good PUT: later.test open, mcp.test with its header, blocked.test shut.
    expect((await curlIn(url('later.test', '/after-bad'))).status).toBe(200);
    await curlIn(url('mcp.test', '/mcp-after-bad'));
    expect(upstream.seen('/mcp-after-bad')[0]?.headers['x-mcp-token']).toBe(MCP_TOKEN);
    expect((await curlIn(url('blocked.test', '/blocked-after-bad'))).status).toBe(403);
  });

  it("another tenant's workspace answers 404, and its rules are untouched", async () => {
    const r = await putEgress({ allowDomains: [`blocked.test:${upstream.port}`] }, keys.B);
    expectErrorShape(r, 404, 'not_found');
    expectErrorShape(await putEgress({ allowDomains: [] }, keys.A, 'ws_doesnotexist'), 404, 'not_found');
    expect((await curlIn(url('blocked.test', '/blocked-after-b'))).status).toBe(403);
  });

  it('a paused workspace answers 409 workspace_paused', async () => {
    expect((await api('POST', `/v1/workspaces/${id}/pause`)).status).toBe(200);
    try {
      expectErrorShape(await putEgress({ allowDomains: [] }), 409, 'workspace_paused');
    } finally {
      expect((await api('POST', `/v1/workspaces/${id}/resume`)).status).toBe(200);
    }
  });
});

describe('the Claude Agent SDK inside the workspace', () => {
  const script = `
import { query } from '/opt/berth/agent/node_modules/@anthropic-ai/claude-agent-sdk/sdk.mjs';
let text = '';
let result = null;
for await (const m of query({
  prompt: 'Say hello',
  options: { maxTurns: 1, settingSources: [], stderr: (d) => process.stderr.write(d) },
})) {
  if (m.type === 'assistant') for (const c of m.message.content) if (c.type === 'text') text += c.text;
  if (m.type === 'result') result = { subtype: m.subtype, result: m.result ?? null };
}
console.log(JSON.stringify({ text, result }));
`;

  it(
    'its request (placeholder key) reaches the fake Messages API with the real key',
    { timeout: 150_000 },
    async () => {
      expect((await api('PUT', `/v1/workspaces/${id}/files?path=sdk-run.mjs`, script)).status).toBe(204);
      const r = await exec(
        ['node', 'sdk-run.mjs'],
        {
          ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
          ANTHROPIC_BASE_URL: `http://api.anthropic.test:${anthropic.port}`,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          HOME: '/tmp/sdk-home',
          CLAUDE_CONFIG_DIR: '/tmp/sdk-home/.claude',
        },
        120_000,
      );
      expect(r.json.exitCode, `${r.json.stdout}\n${r.json.stderr}`).toBe(0);
      const lines = (r.json.stdout as string).trim().split('\n');
      expect(JSON.parse(lines[lines.length - 1]!)).toEqual({
        text: 'hello',
        result: { subtype: 'success', result: 'hello' },
      });

      const messages = anthropic.requests.filter((q) => q.url.startsWith('/v1/messages'));
      expect(messages.length).toBeGreaterThan(0);
      for (const q of anthropic.requests) {
        expect(q.headers['x-api-key']).toBe(REAL_KEY);
        expect(JSON.stringify(q.headers)).not.toContain(PLACEHOLDER_KEY);
      }
    },
  );
});

describe('lifecycle', () => {
  it('a host restart keeps egress working, with the rules the workspace was given', async () => {
    await b.restart(async () => {
      expect(existsSync(proxySocketPath(b.stateDir, id))).toBe(false); // the proxy lives in the host process
    });
    expect(b.host.egress?.attached()).toContain(id);
    expect((await curlIn(url('later.test', '/after-restart'))).status).toBe(200);
    await curlIn(url('mcp.test', '/mcp-after-restart'));
    expect(upstream.seen('/mcp-after-restart')[0]?.headers['x-mcp-token']).toBe(MCP_TOKEN);
    expect((await curlIn(url('blocked.test', '/blocked-after-restart'))).status).toBe(403);
  });

  it('deleting the workspace stops its proxy', async () => {
    const r = await api('DELETE', `/v1/workspaces/${id}`);
    expect(r.status, r.text).toBe(202);
    expect(b.host.egress?.attached()).not.toContain(id);
    expect(existsSync(proxySocketPath(b.stateDir, id))).toBe(false);
  });
});

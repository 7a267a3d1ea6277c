import { describe, expect, it } from 'vitest';
import { API_KEY, apiError, json, routes, runCli, useFakeBerth, view } from './support/run-cli.js';

// `berth ws ...`: what goes over the wire and what is printed.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });

describe('ws create', () => {
  it('sends the options and prints the id', async () => {
    fake.handle(routes({ 'POST /v1/workspaces': (_req, res) => json(res, 201, view('ws_new')) }));
    const r = await runCli(
      [
        'ws',
        'create',
        'conv-1',
        '--template',
        't1',
        '--ttl',
        '600',
        '--label',
        'team=a',
        '--label',
        'x=1=2',
        '--no-wait',
      ],
      { env: env() },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'ws_new\n', stderr: '' });
    expect(fake.requests[0]!.json).toEqual({
      conversationId: 'conv-1',
      template: 't1',
      ttlSeconds: 600,
      labels: { team: 'a', x: '1=2' },
      wait: false,
    });
  });

  it('only the conversation when nothing else is given; --json prints the workspace', async () => {
    fake.handle(routes({ 'POST /v1/workspaces': (_req, res) => json(res, 201, view('ws_new')) }));
    const r = await runCli(['ws', 'create', 'conv-1', '--json'], { env: env() });
    expect(fake.requests[0]!.json).toEqual({ conversationId: 'conv-1' });
    expect(JSON.parse(r.stdout)).toEqual(view('ws_new'));
  });

  it('an admission refusal is tried again (the SDK create retries), the last one reported with its code', async () => {
    fake.handle(
      routes({
        'POST /v1/workspaces': (_req, res) => apiError(res, 429, 'quota_exceeded', { retryAfter: '0' }),
      }),
    );
    const r = await runCli(['ws', 'create', 'conv-1'], { env: env() });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      'berth: quota_exceeded: quota_exceeded happened; retry after 0 s (request req-1)\n',
    );
    // 1 + createMaxRetries (4), each the same request.
    expect(fake.requests.map((q) => q.json)).toEqual(Array(5).fill({ conversationId: 'conv-1' }));
  });
});

describe('ws ls', () => {
  it('follows every page with the filters and prints one table', async () => {
    fake.handle(
      routes({
        'GET /v1/workspaces': (req, res) =>
          req.query.cursor
            ? json(res, 200, {
                items: [view('ws_2', { conversationId: 'c-two', status: 'stopped' })],
                nextCursor: null,
              })
            : json(res, 200, { items: [view('ws_1')], nextCursor: 'next' }),
      }),
    );
    const r = await runCli(['ws', 'ls', '--status', 'ready', '--label', 'team:a'], { env: env() });
    expect(r.code).toBe(0);
    expect(fake.requests.map((q) => q.query)).toEqual([
      { status: 'ready', label: 'team:a', limit: '100' },
      { status: 'ready', label: 'team:a', limit: '100', cursor: 'next' },
    ]);
    expect(r.stdout).toBe(
      [
        'ID    CONVERSATION  STATUS   EXPIRES',
        'ws_1  conv-1        ready    2025-01-01T00:30:00Z',
        'ws_2  c-two         stopped  2025-01-01T00:30:00Z',
        '',
      ].join('\n'),
    );
    const asJson = await runCli(['ws', 'ls', '--json'], { env: env() });
    expect(JSON.parse(asJson.stdout).map((w: { id: string }) => w.id)).toEqual(['ws_1', 'ws_2']);
  });
});

describe('ws get, rm, keepalive, pause, resume', () => {
  it('get prints the state', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1', { labels: { team: 'a' } })));
    const r = await runCli(['ws', 'get', 'ws_1'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('id             ws_1\n');
    expect(r.stdout).toContain('labels         team=a\n');
    expect(r.stdout).toContain('ended because  -\n');
  });

  it('rm deletes; keepalive sends the ttl; pause and resume', async () => {
    fake.handle(
      routes({
        'DELETE /v1/workspaces/ws_1': (_req, res) => json(res, 202, view('ws_1', { status: 'stopping' })),
        'POST /v1/workspaces/ws_1/keepalive': (_req, res) =>
          json(res, 200, view('ws_1', { expiresAt: '2025-01-01T01:00:00.000Z' })),
        'POST /v1/workspaces/ws_1/pause': (_req, res) => json(res, 200, view('ws_1', { status: 'paused' })),
        'POST /v1/workspaces/ws_1/resume': (_req, res) => json(res, 200, view('ws_1')),
      }),
    );
    expect((await runCli(['ws', 'rm', 'ws_1'], { env: env() })).stdout).toBe('ws_1 stopping\n');
    expect((await runCli(['ws', 'keepalive', 'ws_1', '--ttl', '3600'], { env: env() })).stdout).toBe(
      'ws_1 expires 2025-01-01T01:00:00Z\n',
    );
    expect(fake.requests.find((q) => q.path.endsWith('/keepalive'))!.json).toEqual({ ttlSeconds: 3600 });
    expect((await runCli(['ws', 'pause', 'ws_1'], { env: env() })).stdout).toBe('ws_1 paused\n');
    const resumed = await runCli(['ws', 'resume', 'ws_1', '--json'], { env: env() });
    expect(JSON.parse(resumed.stdout)).toMatchObject({ id: 'ws_1', status: 'ready' });
    // By id: one request each, never a GET of the workspace first.
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'DELETE /v1/workspaces/ws_1',
      'POST /v1/workspaces/ws_1/keepalive',
      'POST /v1/workspaces/ws_1/pause',
      'POST /v1/workspaces/ws_1/resume',
    ]);
  });
});

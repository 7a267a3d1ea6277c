import { describe, expect, it } from 'vitest';
import { Workspace } from '@berth/sdk';
import { API_KEY, json, useFakeBerth, view } from './support/fake-berth.js';

// Every call's method, path, query, headers and body, as they reach a real HTTP server.
const fake = useFakeBerth();

const ws = async (id = 'ws_1') => {
  fake.handle((_req, res) => json(res, 200, view(id)));
  const w = await fake.client().workspaces.get(id);
  fake.requests.length = 0;
  return w;
};

describe('workspaces', () => {
  it('create: POST /v1/workspaces with the options as JSON and the bearer key; a handle on the answer', async () => {
    fake.handle((_req, res) => json(res, 201, view('ws_new', { labels: { team: 'a' } })));
    const w = await fake.client().workspaces.create({
      conversationId: 'conv-1',
      ttlSeconds: 600,
      labels: { team: 'a' },
      wait: false,
    });
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/workspaces' });
    expect(req!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.json).toEqual({
      conversationId: 'conv-1',
      ttlSeconds: 600,
      labels: { team: 'a' },
      wait: false,
    });
    expect(w).toBeInstanceOf(Workspace);
    expect(w.id).toBe('ws_new');
    expect(w.info.labels).toEqual({ team: 'a' });
    expect(w.status).toBe('ready');
  });

  it('get and delete: the id is one URL-encoded path segment', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_a/b?c')));
    const berth = fake.client();
    await berth.workspaces.get('ws_a/b?c');
    const info = await berth.workspaces.delete('ws_a/b?c');
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/workspaces/ws_a%2Fb%3Fc',
      'DELETE /v1/workspaces/ws_a%2Fb%3Fc',
    ]);
    expect(info.id).toBe('ws_a/b?c');
  });

  it('listPage: status, label, limit and cursor as query parameters; undefined ones left out', async () => {
    fake.handle((_req, res) => json(res, 200, { items: [view('ws_1'), view('ws_2')], nextCursor: 'c2' }));
    const page = await fake
      .client()
      .workspaces.listPage({ status: 'ready', label: 'team:a b', limit: 2, cursor: 'c1' });
    expect(fake.requests[0]!.query).toEqual({ status: 'ready', label: 'team:a b', limit: '2', cursor: 'c1' });
    expect(page.items.map((w) => w.id)).toEqual(['ws_1', 'ws_2']);
    expect(page.nextCursor).toBe('c2');
    await fake.client().workspaces.listPage();
    expect(fake.requests[1]!.url).toBe('/v1/workspaces');
  });

  it('list: follows nextCursor across three pages, then stops', async () => {
    const pages: Record<string, { items: unknown[]; nextCursor: string | null }> = {
      '': { items: [view('ws_1'), view('ws_2')], nextCursor: 'p2' },
      p2: { items: [view('ws_3'), view('ws_4')], nextCursor: 'p3' },
      p3: { items: [view('ws_5')], nextCursor: null },
    };
    fake.handle((req, res) => json(res, 200, pages[req.query.cursor ?? '']));
    const ids: string[] = [];
    for await (const w of fake.client().workspaces.list({ label: 'team:a', limit: 2 })) ids.push(w.id);
    expect(ids).toEqual(['ws_1', 'ws_2', 'ws_3', 'ws_4', 'ws_5']);
    expect(fake.requests.map((r) => r.query)).toEqual([
      { label: 'team:a', limit: '2' },
      { label: 'team:a', limit: '2', cursor: 'p2' },
      { label: 'team:a', limit: '2', cursor: 'p3' },
    ]);
  });

  it('list: breaking out early fetches no further page', async () => {
    fake.handle((_req, res) => json(res, 200, { items: [view('ws_1'), view('ws_2')], nextCursor: 'more' }));
    for await (const w of fake.client().workspaces.list()) {
      expect(w.id).toBe('ws_1');
      break;
    }
    expect(fake.requests).toHaveLength(1);
  });
});

describe('the workspace handle', () => {
  it('refresh, keepalive, pause, resume and delete update info from each answer', async () => {
    const w = await ws('ws_1');
    const statuses: Record<string, string> = {
      'GET /v1/workspaces/ws_1': 'ready',
      'POST /v1/workspaces/ws_1/keepalive': 'ready',
      'POST /v1/workspaces/ws_1/pause': 'paused',
      'POST /v1/workspaces/ws_1/resume': 'ready',
      'DELETE /v1/workspaces/ws_1': 'stopping',
    };
    fake.handle((req, res) =>
      json(
        res,
        req.method === 'DELETE' ? 202 : 200,
        view('ws_1', { status: statuses[`${req.method} ${req.path}`] }),
      ),
    );
    await w.refresh();
    await w.keepalive(1800);
    await w.keepalive();
    expect((await w.pause()).status).toBe('paused');
    expect(w.status).toBe('paused');
    await w.resume();
    expect((await w.delete()).status).toBe('stopping');
    expect(w.info.status).toBe('stopping');
    expect(fake.requests.map((r) => [r.method, r.path, r.json])).toEqual([
      ['GET', '/v1/workspaces/ws_1', undefined],
      ['POST', '/v1/workspaces/ws_1/keepalive', { ttlSeconds: 1800 }],
      ['POST', '/v1/workspaces/ws_1/keepalive', {}],
      ['POST', '/v1/workspaces/ws_1/pause', undefined],
      ['POST', '/v1/workspaces/ws_1/resume', undefined],
      ['DELETE', '/v1/workspaces/ws_1', undefined],
    ]);
    for (const r of fake.requests) expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('waitUntilReady polls until ready', async () => {
    fake.handle((_req, res) => json(res, 201, view('ws_p', { status: 'provisioning', readyAt: null })));
    const w = await fake.client().workspaces.create({ conversationId: 'c', wait: false });
    let polls = 0;
    fake.handle((_req, res) =>
      json(res, 200, view('ws_p', { status: ++polls < 3 ? 'provisioning' : 'ready' })),
    );
    expect((await w.waitUntilReady({ intervalMs: 10 })).status).toBe('ready');
    expect(polls).toBe(3);
  });
});

describe('commands', () => {
  it('run: POST .../exec with argv, cwd, env, stdin, timeoutMs; answers the result', async () => {
    const w = await ws();
    const result = {
      exitCode: 3,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
      durationMs: 4,
      timedOut: false,
      truncated: false,
    };
    fake.handle((_req, res) => json(res, 200, result));
    const r = await w.commands.run(['sh', '-c', 'echo out; exit 3'], {
      cwd: 'sub',
      env: { A: '1' },
      stdin: 'in',
      timeoutMs: 5000,
    });
    expect(r).toEqual(result);
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/workspaces/ws_1/exec' });
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.json).toEqual({
      cmd: ['sh', '-c', 'echo out; exit 3'],
      cwd: 'sub',
      env: { A: '1' },
      stdin: 'in',
      timeoutMs: 5000,
    });
  });

  it('runBinary: POST .../exec/binary; exact stdout bytes and the X- headers', async () => {
    const w = await ws();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    fake.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'x-exit-code': '0',
        'x-timed-out': 'false',
        'x-duration-ms': '12',
      });
      res.end(bytes);
    });
    const r = await w.commands.runBinary(['cat', 'blob']);
    expect(Buffer.from(r.stdout).equals(bytes)).toBe(true);
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, durationMs: 12 });
    expect(fake.requests[0]).toMatchObject({
      path: '/v1/workspaces/ws_1/exec/binary',
      json: { cmd: ['cat', 'blob'] },
    });

    fake.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'x-exit-code': '-1',
        'x-timed-out': 'true',
        'x-duration-ms': '50',
      });
      res.end();
    });
    expect(await w.commands.runBinary(['sleep', '9'], { timeoutMs: 50 })).toMatchObject({
      exitCode: null,
      timedOut: true,
      stdout: new Uint8Array(),
    });
  });
});

describe('files', () => {
  it('binary round trip: every byte value written and read back exactly; ?path= URL-encoded', async () => {
    const w = await ws();
    const store = new Map<string, Buffer>();
    fake.handle((req, res) => {
      const p = req.query.path!;
      if (req.method === 'PUT') {
        store.set(p, req.body);
        res.writeHead(204).end();
      } else if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(store.get(p));
      }
    });
    const bytes = new Uint8Array(Array.from({ length: 1024 }, (_, i) => (i * 7 + 3) % 256));
    await w.files.write('dir/a b&c=#.bin', bytes);
    const back = await w.files.read('dir/a b&c=#.bin');
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    const [put] = fake.requests;
    expect(put!.method).toBe('PUT');
    expect(put!.headers['content-type']).toBe('application/octet-stream');
    expect(put!.url).toBe('/v1/workspaces/ws_1/files?path=dir%2Fa%20b%26c%3D%23.bin');

    await w.files.write('t.txt', 'héllo\n');
    expect(store.get('t.txt')!.toString('utf8')).toBe('héllo\n');
    expect(await w.files.readText('t.txt')).toBe('héllo\n');
    // A view into a bigger buffer sends only its own bytes.
    await w.files.write('slice', new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4));
    expect([...store.get('slice')!]).toEqual([1, 2, 3]);
  });

  it('readStream hands over the bytes as they arrive; a directory is refused', async () => {
    const w = await ws();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fake.handle(async (req, res) => {
      if (req.query.path === 'docs') return json(res, 200, { entries: [] });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 8 * chunk.length });
      res.write(chunk);
      await held; // the rest only once the client has the first bytes: nothing is read whole first
      for (let i = 1; i < 8; i++) res.write(chunk);
      res.end();
    });
    const reader = (await w.files.readStream('big.bin')).getReader();
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      expect(value.every((b) => b === 7)).toBe(true);
      received += value.length;
      release();
    }
    expect(received).toBe(8 * chunk.length);
    expect(fake.requests.at(-1)!.url).toBe('/v1/workspaces/ws_1/files?path=big.bin');
    await expect(w.files.readStream('docs')).rejects.toThrow(/^docs is a directory; use files.list$/);
  });

  it('list answers the entries; remove is DELETE ?path=', async () => {
    const w = await ws();
    const entries = [{ name: 'a.txt', type: 'file', size: 3, mtime: '2025-01-01T00:00:00.000Z' }];
    fake.handle((req, res) =>
      req.method === 'GET' ? json(res, 200, { entries }) : res.writeHead(204).end(),
    );
    expect(await w.files.list('docs')).toEqual(entries);
    await w.files.list();
    await w.files.remove('docs/a.txt');
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/workspaces/ws_1/files?path=docs',
      'GET /v1/workspaces/ws_1/files?path=.',
      'DELETE /v1/workspaces/ws_1/files?path=docs%2Fa.txt',
    ]);
    // read on a directory / list on a file say so instead of returning the wrong thing
    await expect(w.files.read('docs')).rejects.toThrow(/^docs is a directory; use files.list$/);
    fake.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('x'));
    await expect(w.files.list('f')).rejects.toThrow(/is a file/);
  });
});

describe('egress and service calls', () => {
  it('egress.update: PUT .../egress with the rules', async () => {
    const w = await ws();
    fake.handle((_req, res) => json(res, 200, { applied: true }));
    const rules = {
      allowDomains: ['*.github.com', 'pypi.org:443'],
      headerRules: [{ host: 'api.x.com', headers: { 'x-key': 'v' } }],
    };
    expect(await w.egress.update(rules)).toEqual({ applied: true });
    expect(fake.requests[0]).toMatchObject({
      method: 'PUT',
      path: '/v1/workspaces/ws_1/egress',
      json: rules,
    });
  });

  it('health (a degraded 503 report is an answer) and pool', async () => {
    const entry = { template: 'default', target: 5, warm: 4, provisioning: 1, claims: 9, misses: 2 };
    fake.handle((req, res) =>
      req.path === '/health'
        ? json(res, 503, { status: 'degraded', components: { store: 'ok', runtime: 'error', blobs: 'ok' } })
        : json(res, 200, { templates: [entry] }),
    );
    const berth = fake.client();
    expect((await berth.health()).components.runtime).toBe('error');
    const pool = await berth.pool();
    expect(pool.templates).toEqual([entry]);
    // Typed: creates the pool served (claims) and could not (misses) over the server's demand window.
    const { claims, misses } = pool.templates[0]!;
    expect([claims, misses]).toEqual([9, 2]);
    expect(fake.requests.map((r) => r.path)).toEqual(['/health', '/v1/pool']);
  });

  it('a base URL with a path prefix and a trailing slash', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    await fake.client({ baseUrl: `${fake.url}/prod/` }).workspaces.get('ws_1');
    expect(fake.requests[0]!.path).toBe('/prod/v1/workspaces/ws_1');
  });
});

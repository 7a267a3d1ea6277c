import { describe, expect, it } from 'vitest';
import { WorkspaceHandle, Workspace } from '@berth/sdk';
import { apiError, json, sseHead, useFakeBerth, view } from './support/fake-berth.js';

// Operations by id: one request each, straight to the workspace, never a GET of it first.
const fake = useFakeBerth();

const seen = () => fake.requests.map((r) => `${r.method} ${r.url}`);

describe('berth.workspaces by id', () => {
  it('pause, resume, keepalive and delete: the one request each, and its answer', async () => {
    const statuses: Record<string, string> = { pause: 'paused', resume: 'ready', keepalive: 'ready' };
    fake.handle((req, res) =>
      json(
        res,
        req.method === 'DELETE' ? 202 : 200,
        view('ws_1', { status: statuses[req.path.split('/').pop()!] ?? 'stopping' }),
      ),
    );
    const berth = fake.client();
    expect((await berth.workspaces.pause('ws_1')).status).toBe('paused');
    expect((await berth.workspaces.resume('ws_1')).status).toBe('ready');
    expect((await berth.workspaces.keepalive('ws_1', 900)).id).toBe('ws_1');
    await berth.workspaces.keepalive('ws_1');
    expect((await berth.workspaces.delete('ws_1')).status).toBe('stopping');
    expect(fake.requests.map((r) => [r.method, r.url, r.json])).toEqual([
      ['POST', '/v1/workspaces/ws_1/pause', undefined],
      ['POST', '/v1/workspaces/ws_1/resume', undefined],
      ['POST', '/v1/workspaces/ws_1/keepalive', { ttlSeconds: 900 }],
      ['POST', '/v1/workspaces/ws_1/keepalive', {}],
      ['DELETE', '/v1/workspaces/ws_1', undefined],
    ]);
  });

  it('handle(id) sends nothing; its commands, files, agent and egress go straight to the workspace', async () => {
    const berth = fake.client();
    const ws = berth.workspaces.handle('ws_a/b');
    expect(ws).toBeInstanceOf(WorkspaceHandle);
    expect(ws).not.toBeInstanceOf(Workspace); // no state: nothing was asked
    expect(ws.id).toBe('ws_a/b');
    expect(fake.requests).toEqual([]);

    fake.handle((req, res) => {
      if (req.path.endsWith('/exec'))
        return json(res, 200, {
          exitCode: 0,
          signal: null,
          stdout: 'hi\n',
          stderr: '',
          durationMs: 1,
          timedOut: false,
          truncated: false,
        });
      if (req.path.endsWith('/execute')) {
        sseHead(res);
        return res.end('event: result\ndata: {"subtype":"success"}\n\n');
      }
      if (req.path.endsWith('/egress')) return json(res, 200, { applied: true });
      if (req.method === 'PUT') return res.writeHead(204).end();
      if (req.path.endsWith('/files'))
        return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('x');
      json(res, 200, view('ws_a/b', { status: 'paused' }));
    });
    expect((await ws.commands.run(['echo', 'hi'])).stdout).toBe('hi\n');
    await ws.files.write('f.txt', 'x');
    expect(await ws.files.readText('f.txt')).toBe('x');
    for await (const e of ws.agent.run({ prompt: 'go' })) expect(e.event).toBe('result');
    await ws.egress.update({ allowDomains: ['a.com'] });
    expect((await ws.pause()).status).toBe('paused');
    expect(seen()).toEqual([
      'POST /v1/workspaces/ws_a%2Fb/exec',
      'PUT /v1/workspaces/ws_a%2Fb/files?path=f.txt',
      'GET /v1/workspaces/ws_a%2Fb/files?path=f.txt',
      'POST /v1/workspaces/ws_a%2Fb/execute',
      'PUT /v1/workspaces/ws_a%2Fb/egress',
      'POST /v1/workspaces/ws_a%2Fb/pause',
    ]);
  });

  it("an unknown id is the first call's own 404, with nothing else sent", async () => {
    fake.handle((_req, res) => apiError(res, 404, 'not_found'));
    await expect(fake.client().workspaces.handle('ws_gone').commands.run(['ls'])).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    await expect(fake.client().workspaces.pause('ws_gone')).rejects.toMatchObject({ code: 'not_found' });
    expect(seen()).toEqual(['POST /v1/workspaces/ws_gone/exec', 'POST /v1/workspaces/ws_gone/pause']);
  });

  it('an empty id is refused before anything is sent (it would address the collection)', async () => {
    const berth = fake.client();
    expect(() => berth.workspaces.handle('')).toThrow(TypeError);
    await expect(berth.workspaces.pause('')).rejects.toThrow(TypeError);
    expect(fake.requests).toEqual([]);
  });

  it('waitUntilReady works on a handle too (it polls GET)', async () => {
    let polls = 0;
    fake.handle((_req, res) =>
      json(res, 200, view('ws_1', { status: ++polls < 2 ? 'provisioning' : 'ready' })),
    );
    expect((await fake.client().workspaces.handle('ws_1').waitUntilReady({ intervalMs: 10 })).status).toBe(
      'ready',
    );
    expect(seen()).toEqual(['GET /v1/workspaces/ws_1', 'GET /v1/workspaces/ws_1']);
  });
});

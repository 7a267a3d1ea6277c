import { describe, expect, it } from 'vitest';
import { KEY_B, makeApi } from '../support/app.js';

/** API.md "Workspace object": exactly these fields. */
const WORKSPACE_FIELDS = [
  'conversationId',
  'createdAt',
  'expiresAt',
  'fromPool',
  'id',
  'labels',
  'lastActiveAt',
  'readyAt',
  'runtime',
  'status',
  'template',
  'terminationReason',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function expectWorkspaceObject(w: any) {
  expect(Object.keys(w).sort()).toEqual(WORKSPACE_FIELDS);
  expect(w.id).toMatch(/^ws_/);
  expect(['provisioning', 'ready', 'paused', 'stopping', 'stopped', 'failed']).toContain(w.status);
  expect(w.createdAt).toMatch(ISO);
  expect(w.expiresAt).toMatch(ISO);
  expect(w.lastActiveAt).toMatch(ISO);
  if (w.readyAt !== null) expect(w.readyAt).toMatch(ISO);
  expect(['docker', 'ecs']).toContain(w.runtime);
  expect(typeof w.fromPool).toBe('boolean');
  expect(w.terminationReason === null || typeof w.terminationReason === 'string').toBe(true);
}

describe('POST /v1/workspaces', () => {
  it('201 with a ready workspace object, then 200 with the same one for the same conversation', async () => {
    const api = makeApi();
    const first = await api.call('POST', '/v1/workspaces', {
      body: { conversationId: 'conv-1', labels: { team: 'a' }, ttlSeconds: 600 },
    });
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expectWorkspaceObject(first.json);
    expect(first.json).toMatchObject({
      conversationId: 'conv-1',
      status: 'ready',
      template: 'default',
      labels: { team: 'a' },
      terminationReason: null,
      runtime: 'docker',
      fromPool: false,
    });
    expect(Date.parse(first.json.expiresAt) - Date.parse(first.json.lastActiveAt)).toBeGreaterThanOrEqual(
      590_000,
    );
    const second = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'conv-1' } });
    expect(second.statusCode).toBe(200);
    expect(second.json.id).toBe(first.json.id);
  });

  it('never shows the agent token, the endpoint or the task reference', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'conv-1' } });
    const record = api.deps.store.peek(res.json.id)!;
    for (const answer of [
      res,
      await api.call('GET', `/v1/workspaces/${res.json.id}`),
      await api.call('GET', '/v1/workspaces'),
    ]) {
      expect(answer.body).not.toContain(record.taskRef!);
      expect(answer.body).not.toContain('socketPath');
      expect(answer.body).not.toMatch(/agentToken|endpoint|taskRef|tenantId|version|deadlineAt/);
    }
  });

  it('wait: false answers 201 provisioning at once', async () => {
    const api = makeApi();
    api.deps.provisioner.mode = 'manual';
    const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1', wait: false } });
    expect(res.statusCode).toBe(201);
    expectWorkspaceObject(res.json);
    expect(res.json).toMatchObject({ status: 'provisioning', readyAt: null });
  });

  it('an empty body is a 400 naming conversationId, not a crash', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces');
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toContain('conversationId');
  });

  it('a base64-encoded JSON body (API Gateway binary mode) is read the same', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'b64' }, base64: true });
    expect(res.statusCode).toBe(201);
    expect(res.json.conversationId).toBe('b64');
  });
});

describe('GET and DELETE /v1/workspaces/{id}', () => {
  it('GET answers the workspace object', async () => {
    const api = makeApi();
    const created = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    const got = await api.call('GET', `/v1/workspaces/${created.json.id}`);
    expect(got.statusCode).toBe(200);
    expectWorkspaceObject(got.json);
    expect(got.json).toEqual(created.json);
  });

  it('DELETE answers 202 (files synced, container stopped), then 200 on the stopped one', async () => {
    const api = makeApi();
    const created = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    const del = await api.call('DELETE', `/v1/workspaces/${created.json.id}`);
    expect(del.statusCode).toBe(202);
    expectWorkspaceObject(del.json);
    expect(['stopping', 'stopped']).toContain(del.json.status);
    expect(del.json.terminationReason).toBe('deleted');
    expect(api.deps.runtime.running()).toEqual([]);
    const again = await api.call('DELETE', `/v1/workspaces/${created.json.id}`);
    expect(again.statusCode).toBe(200);
    expect(again.json).toMatchObject({
      id: created.json.id,
      status: 'stopped',
      terminationReason: 'deleted',
    });
    // The conversation's next create is a new workspace.
    const next = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    expect(next.statusCode).toBe(201);
    expect(next.json.id).not.toBe(created.json.id);
  });
});

describe('GET /v1/workspaces', () => {
  it('answers {items, nextCursor}, newest first, paginated, filtered, one tenant only', async () => {
    const api = makeApi();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      api.deps.clock.advance(1000);
      const r = await api.call('POST', '/v1/workspaces', {
        body: { conversationId: `c${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } },
      });
      ids.push(r.json.id);
    }
    await api.call('POST', '/v1/workspaces', { key: KEY_B, body: { conversationId: 'theirs' } });

    const page1 = await api.call('GET', '/v1/workspaces', { query: { limit: '2' } });
    expect(page1.statusCode).toBe(200);
    expect(Object.keys(page1.json).sort()).toEqual(['items', 'nextCursor']);
    expect(page1.json.items.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    page1.json.items.forEach(expectWorkspaceObject);
    expect(typeof page1.json.nextCursor).toBe('string');
    const page2 = await api.call('GET', '/v1/workspaces', {
      query: { limit: '2', cursor: page1.json.nextCursor },
    });
    expect(page2.json).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

    const even = await api.call('GET', '/v1/workspaces', { query: { label: 'parity:even' } });
    expect(even.json.items.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[0]]);
    await api.call('DELETE', `/v1/workspaces/${ids[1]}`);
    const stopped = await api.call('GET', '/v1/workspaces', { query: { status: 'stopped' } });
    expect(stopped.json.items.map((w: { id: string }) => w.id)).toEqual([ids[1]]);
  });

  it('an empty list is {items: [], nextCursor: null}', async () => {
    const api = makeApi();
    expect((await api.call('GET', '/v1/workspaces')).json).toEqual({ items: [], nextCursor: null });
  });
});

describe('keepalive, pause, resume', () => {
  it('keepalive answers the workspace with the new expiresAt', async () => {
    const api = makeApi();
    const created = await api.call('POST', '/v1/workspaces', {
      body: { conversationId: 'c1', ttlSeconds: 60 },
    });
    const res = await api.call('POST', `/v1/workspaces/${created.json.id}/keepalive`, {
      body: { ttlSeconds: 3600 },
    });
    expect(res.statusCode).toBe(200);
    expectWorkspaceObject(res.json);
    expect(Date.parse(res.json.expiresAt)).toBeGreaterThan(Date.parse(created.json.expiresAt) + 3_000_000);
    const bare = await api.call('POST', `/v1/workspaces/${created.json.id}/keepalive`);
    expect(bare.statusCode).toBe(200);
    expect(
      (await api.call('POST', `/v1/workspaces/${created.json.id}/keepalive`, { body: { ttlSeconds: 5 } }))
        .statusCode,
    ).toBe(400);
  });

  it('pause and resume answer 200 with the workspace and freeze/thaw the container', async () => {
    const api = makeApi();
    const created = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    const paused = await api.call('POST', `/v1/workspaces/${created.json.id}/pause`);
    expect(paused.statusCode).toBe(200);
    expectWorkspaceObject(paused.json);
    expect(paused.json.status).toBe('paused');
    expect(api.deps.runtime.tasks.get('task-1')!.state).toBe('paused');
    expect((await api.call('POST', `/v1/workspaces/${created.json.id}/pause`)).json.status).toBe('paused');
    const resumed = await api.call('POST', `/v1/workspaces/${created.json.id}/resume`);
    expect(resumed.json.status).toBe('ready');
    expect(api.deps.runtime.tasks.get('task-1')!.state).toBe('running');
  });
});

describe('service routes', () => {
  it('GET /health answers without a key', async () => {
    const api = makeApi();
    const res = await api.call('GET', '/health', { key: null });
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ status: 'ok', components: { store: 'ok', runtime: 'ok', blobs: 'ok' } });
  });

  it('GET /health reports a broken component as degraded (503)', async () => {
    const api = makeApi();
    api.deps.runtime.pingError = new Error('docker.sock: permission denied');
    const res = await api.call('GET', '/health', { key: null });
    expect(res.statusCode).toBe(503);
    expect(res.json).toEqual({
      status: 'degraded',
      components: { store: 'ok', runtime: 'error', blobs: 'ok' },
    });
    expect(res.body).not.toContain('permission denied');
  });

  it('GET /v1/pool answers {templates: [{template, target, warm, provisioning, claims, misses}]}', async () => {
    const api = makeApi({ config: { templates: { default: {}, big: { memoryMiB: 4096 } } } });
    const res = await api.call('GET', '/v1/pool');
    expect(res.statusCode).toBe(200);
    expect(res.json.templates.map((t: { template: string }) => t.template).sort()).toEqual([
      'big',
      'default',
    ]);
    for (const t of res.json.templates) {
      expect(Object.keys(t).sort()).toEqual([
        'claims',
        'misses',
        'provisioning',
        'target',
        'template',
        'warm',
      ]);
      for (const k of ['target', 'warm', 'provisioning', 'claims', 'misses']) {
        expect(Number.isInteger(t[k])).toBe(true);
      }
    }
  });
});

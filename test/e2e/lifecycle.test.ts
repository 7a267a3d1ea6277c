import { describe, expect, it } from 'vitest';
import { uniq, useLocalBerth, type WorkspaceView } from '../support/local-berth.js';

// The workspace lifecycle through the public API (API.md), against the real local host, Docker and DynamoDB Local.
const b = useLocalBerth();

const dockerStatus = async (id: string) => {
  try {
    await b.docker.getContainer(id).inspect();
    return 200;
  } catch (e) {
    return (e as { statusCode?: number }).statusCode ?? 0;
  }
};

describe('create', () => {
  let first: WorkspaceView;
  const conv = uniq('life');

  it('answers 201 with a ready docker workspace once it is ready (wait defaults to true)', async () => {
    const before = Date.now();
    const r = await b.createWorkspace(conv, { labels: { team: 'e2e' } });
    expect(r.status).toBe(201);
    first = r.json;
    expect(first).toMatchObject({
      conversationId: conv,
      status: 'ready',
      template: 'default',
      labels: { team: 'e2e' },
      runtime: 'docker',
      terminationReason: null,
      fromPool: false,
    });
    expect(first.id).toMatch(/^ws_/);
    expect(first.readyAt).not.toBeNull();
    const readyAt = Date.parse(first.readyAt!);
    expect(readyAt).toBeGreaterThanOrEqual(Date.parse(first.createdAt));
    expect(readyAt).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(first.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    // The default lease (1800 s) from creation.
    expect(Date.parse(first.expiresAt) - Date.parse(first.createdAt)).toBe(1800_000);
    // Really running: one Berth container for this workspace, and a command in it works.
    const containers = await b.containersOf(first.id);
    expect(containers.map((c) => c.State)).toEqual(['running']);
    expect((await b.exec(first.id, ['true'])).json.exitCode).toBe(0);
  });

  it('answers the same workspace with 200 for the same conversation', async () => {
    const r = await b.createWorkspace(conv);
    expect(r.status).toBe(200);
    expect(r.json.id).toBe(first.id);
    expect(r.json.status).toBe('ready');
    expect(await b.containersOf(first.id)).toHaveLength(1);
  });

  it('20 parallel creates for one conversation: one workspace, one container', async () => {
    const c = uniq('race');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        b.api<WorkspaceView>('POST', '/v1/workspaces', { body: { conversationId: c } }),
      ),
    );
    expect(answers.map((a) => a.status).sort((x, y) => y - x)).toEqual([201, ...Array<number>(19).fill(200)]);
    const ids = new Set(answers.map((a) => a.json.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(answers.every((a) => a.json.status === 'ready')).toBe(true);
    expect(await b.containersOf(id!)).toHaveLength(1);
    // No other workspace of this conversation exists, not even a failed loser.
    const list = await b.api<{ items: WorkspaceView[] }>('GET', '/v1/workspaces?limit=100');
    expect(list.json.items.filter((w) => w.conversationId === c).map((w) => w.id)).toEqual([id]);
    expect((await b.api('DELETE', `/v1/workspaces/${id}`)).status).toBe(202);
  });

  it('20 parallel creates for 20 conversations: 20 distinct ready workspaces', async () => {
    const convs = Array.from({ length: 20 }, (_, i) => uniq(`many${i}`));
    const answers = await Promise.all(convs.map((c) => b.createWorkspace(c)));
    expect(answers.map((a) => a.status)).toEqual(Array<number>(20).fill(201));
    expect(answers.map((a) => a.json.conversationId)).toEqual(convs);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(20);
    // `wait` answers within its budget (25 s): on a loaded 2-core box some may still be provisioning then,
    // but every one must get ready, none may fail.
    for (const a of answers) {
      expect(['ready', 'provisioning']).toContain(a.json.status);
      const ws = await b.until(
        async () => {
          const g = await b.api<WorkspaceView>('GET', `/v1/workspaces/${a.json.id}`);
          return g.json.status === 'provisioning' ? null : g.json;
        },
        30_000,
        `${a.json.id} settled`,
      );
      expect(ws!.status).toBe('ready');
      expect(ws!.readyAt).not.toBeNull();
    }
    for (const a of answers) expect(await b.containersOf(a.json.id)).toHaveLength(1);
    const deleted = await Promise.all(answers.map((a) => b.api('DELETE', `/v1/workspaces/${a.json.id}`)));
    expect(deleted.map((d) => d.status)).toEqual(Array<number>(20).fill(202));
    for (const a of answers) expect(await b.containersOf(a.json.id)).toHaveLength(0);
  });
});

describe('read, list, keepalive', () => {
  it('GET answers the workspace; list filters by status and label and paginates', async () => {
    const tag = uniq('tag');
    const made: WorkspaceView[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await b.createWorkspace(uniq('list'), { labels: { suite: tag, n: String(i) } })).json);
    }
    const got = await b.api<WorkspaceView>('GET', `/v1/workspaces/${made[0]!.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ ...made[0], lastActiveAt: got.json.lastActiveAt });

    // label filter: exactly ours, newest first.
    const byLabel = await b.api<{ items: WorkspaceView[]; nextCursor: string | null }>(
      'GET',
      `/v1/workspaces?label=${encodeURIComponent(`suite:${tag}`)}`,
    );
    expect(byLabel.status).toBe(200);
    expect(byLabel.json.items.map((w) => w.id)).toEqual(made.map((w) => w.id).reverse());
    expect(byLabel.json.nextCursor).toBeNull();
    const one = await b.api<{ items: WorkspaceView[] }>('GET', `/v1/workspaces?label=n:1&limit=100`);
    expect(one.json.items.map((w) => w.id)).toContain(made[1]!.id);
    expect(one.json.items.map((w) => w.id)).not.toContain(made[0]!.id);
    expect(one.json.items.every((w) => w.labels.n === '1')).toBe(true);

    // pagination: limit 1 walks all three with cursors, no repeats, no gaps.
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/workspaces?label=${encodeURIComponent(`suite:${tag}`)}&limit=1${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      }`;
      const page = await b.api<{ items: WorkspaceView[]; nextCursor: string | null }>('GET', q);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(1);
      walked.push(...page.json.items.map((w) => w.id));
      cursor = page.json.nextCursor;
    } while (cursor && ++pages < 10);
    expect(walked).toEqual(made.map((w) => w.id).reverse());

    // status filter: a stopped one leaves `ready` and shows under `stopped`.
    expect((await b.api('DELETE', `/v1/workspaces/${made[2]!.id}`)).status).toBe(202);
    const ready = await b.api<{ items: WorkspaceView[] }>('GET', '/v1/workspaces?status=ready&limit=100');
    const readyIds = ready.json.items.map((w) => w.id);
    expect(ready.json.items.every((w) => w.status === 'ready')).toBe(true);
    expect(readyIds).toEqual(expect.arrayContaining([made[0]!.id, made[1]!.id]));
    expect(readyIds).not.toContain(made[2]!.id);
    const stopped = await b.api<{ items: WorkspaceView[] }>('GET', '/v1/workspaces?status=stopped&limit=100');
    expect(stopped.json.items.every((w) => w.status === 'stopped')).toBe(true);
    expect(stopped.json.items.map((w) => w.id)).toContain(made[2]!.id);

    // Another tenant sees none of them.
    const other = await b.api<{ items: WorkspaceView[] }>('GET', '/v1/workspaces?limit=100', {
      key: b.keys.B,
    });
    expect(other.status).toBe(200);
    expect(other.json.items.map((w) => w.id)).not.toEqual(expect.arrayContaining([made[0]!.id]));
    for (const w of made.slice(0, 2)) await b.api('DELETE', `/v1/workspaces/${w.id}`);
  });

  it('keepalive extends expiresAt', async () => {
    const ws = (await b.createWorkspace(uniq('keep'), { ttlSeconds: 120 })).json;
    expect(Date.parse(ws.expiresAt) - Date.parse(ws.createdAt)).toBe(120_000);
    const before = Date.now();
    const r = await b.api<WorkspaceView>('POST', `/v1/workspaces/${ws.id}/keepalive`, {
      body: { ttlSeconds: 3600 },
    });
    expect(r.status).toBe(200);
    const expires = Date.parse(r.json.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(expires).toBeGreaterThan(Date.parse(ws.expiresAt));
    // Stored, not just answered.
    expect((await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`)).json.expiresAt).toBe(
      r.json.expiresAt,
    );
    // Without a body: the workspace's own (now 3600 s) lease from now.
    const again = await b.api<WorkspaceView>('POST', `/v1/workspaces/${ws.id}/keepalive`);
    expect(again.status).toBe(200);
    expect(Date.parse(again.json.expiresAt)).toBeGreaterThanOrEqual(expires);
    await b.api('DELETE', `/v1/workspaces/${ws.id}`);
  });
});

describe('pause, resume, delete', () => {
  it('pause freezes → exec resumes it on its own and runs; resume works as before', async () => {
    const ws = (await b.createWorkspace(uniq('pause'))).json;
    await b.sh(ws.id, 'echo before > /workspace/state.txt');
    const paused = await b.api<WorkspaceView>('POST', `/v1/workspaces/${ws.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.json.status).toBe('paused');
    const [container] = await b.containersOf(ws.id);
    expect(container!.State).toBe('paused');

    // Pausing twice is fine.
    const twice = await b.api<WorkspaceView>('POST', `/v1/workspaces/${ws.id}/pause`);
    expect(twice.status).toBe(200);
    expect(twice.json.status).toBe('paused');

    // Using a paused workspace thaws it first: its processes and memory are as they were.
    const used = await b.exec(ws.id, ['cat', '/workspace/state.txt']);
    expect(used.status).toBe(200);
    expect(used.json).toMatchObject({ exitCode: 0, stdout: 'before\n' });
    expect((await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`)).json.status).toBe('ready');
    expect((await b.containersOf(ws.id))[0]!.State).toBe('running');

    // The explicit resume is unchanged.
    await b.api('POST', `/v1/workspaces/${ws.id}/pause`);
    const resumed = await b.api<WorkspaceView>('POST', `/v1/workspaces/${ws.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json.status).toBe('ready');
    expect((await b.containersOf(ws.id))[0]!.State).toBe('running');
    await b.api('DELETE', `/v1/workspaces/${ws.id}`);
  });

  it('concurrent exec and file calls on a paused workspace all resume it and are served', async () => {
    const ws = (await b.createWorkspace(uniq('pause-many'))).json;
    await b.sh(ws.id, 'echo kept > /workspace/kept.txt');
    expect((await b.api('POST', `/v1/workspaces/${ws.id}/pause`)).status).toBe(200);
    const [a, c, put, get] = await Promise.all([
      b.exec(ws.id, ['echo', 'a']),
      b.exec(ws.id, ['echo', 'c']),
      b.api('PUT', `/v1/workspaces/${ws.id}/files?path=new.txt`, {
        body: 'new\n',
        headers: { 'content-type': 'application/octet-stream' },
      }),
      b.api('GET', `/v1/workspaces/${ws.id}/files?path=kept.txt`),
    ]);
    expect([a!.status, c!.status, get!.status]).toEqual([200, 200, 200]);
    expect(put!.status).toBeLessThan(300);
    expect([a!.json.stdout, c!.json.stdout, get!.text]).toEqual(['a\n', 'c\n', 'kept\n']);
    expect(await b.sh(ws.id, 'cat /workspace/new.txt')).toBe('new\n');
    expect((await b.containersOf(ws.id))[0]!.State).toBe('running');
    await b.api('DELETE', `/v1/workspaces/${ws.id}`);
  });

  it('delete → 202 stopping/stopped, then stopped with reason deleted, container gone; again → 200', async () => {
    const ws = (await b.createWorkspace(uniq('del'))).json;
    const [container] = await b.containersOf(ws.id);
    expect(container).toBeDefined();

    const del = await b.api<WorkspaceView>('DELETE', `/v1/workspaces/${ws.id}`);
    expect(del.status).toBe(202);
    expect(del.json.id).toBe(ws.id);
    expect(['stopping', 'stopped']).toContain(del.json.status);

    const got = await b.until(
      async () => {
        const r = await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`);
        return r.json.status === 'stopped' ? r : null;
      },
      5000,
      'stopped',
    );
    expect(got!.status).toBe(200);
    expect(got!.json.terminationReason).toBe('deleted');
    expect(await dockerStatus(container!.Id)).toBe(404);
    expect(await b.containersOf(ws.id)).toHaveLength(0);

    const again = await b.api<WorkspaceView>('DELETE', `/v1/workspaces/${ws.id}`);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: ws.id, status: 'stopped', terminationReason: 'deleted' });

    // An ended workspace refuses work with a clear 409.
    const exec = await b.exec(ws.id, ['true']);
    expect(exec.status).toBe(409);
    expect(exec.json.error!.code).toBe('workspace_ended');
    const keep = await b.api('POST', `/v1/workspaces/${ws.id}/keepalive`);
    expect(keep.status).toBe(409);
    expect(keep.json.error.code).toBe('workspace_ended');

    // The conversation is free again: a new create gives a new workspace.
    const next = await b.createWorkspace(ws.conversationId);
    expect(next.status).toBe(201);
    expect(next.json.id).not.toBe(ws.id);
    await b.api('DELETE', `/v1/workspaces/${next.json.id}`);
  });
});

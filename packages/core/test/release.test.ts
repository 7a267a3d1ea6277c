import { describe, expect, it } from 'vitest';
import { ApiError, acquireWorkspace, keepalive, releaseWorkspace } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';
import { hasSnapshot, snapshotFiles } from './support/tar-files.js';

describe('releaseWorkspace', () => {
  it('stopping → files synced → task stopped → stopped with reason deleted', async () => {
    const deps = makeDeps();
    const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
    deps.workspaceAgent.filesOf(workspace.endpoint!).set('notes.md', Buffer.from('keep me'));
    const order: string[] = [];
    const putStream = deps.blobs.putStream.bind(deps.blobs);
    deps.blobs.putStream = async (k, b) => {
      order.push(`sync:${deps.store.peek(workspace.id)!.status}`);
      return putStream(k, b);
    };
    const stop = deps.runtime.stop.bind(deps.runtime);
    deps.runtime.stop = async (ref, reason) => {
      order.push(`stop:${deps.store.peek(workspace.id)!.status}`);
      return stop(ref, reason);
    };

    const r = await releaseWorkspace(deps, 't1', workspace.id);
    expect(r.accepted).toBe(true);
    expect(r.workspace).toMatchObject({ status: 'stopped', terminationReason: 'deleted', deadlineAt: null });
    expect(order).toEqual(['sync:stopping', 'stop:stopped']);
    expect(deps.runtime.tasks.get(workspace.taskRef!)?.state).toBe('stopped');
    expect(await snapshotFiles(deps.blobs, 't1', 'c1')).toEqual({
      'notes.md': Buffer.from('keep me').toString('base64'),
    });
    // The conversation is free again, and the ended record stays readable for a while.
    expect(deps.store.bindings.size).toBe(0);
    expect(r.workspace.expiresAt).toBeGreaterThan(deps.clock.now() + 86_400_000);
  });

  it('a second release answers accepted false and changes nothing', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await releaseWorkspace(deps, 't1', ws.id);
    const before = deps.store.peek(ws.id)!;
    const stops = deps.runtime.callsOf('stop').length;
    const again = await releaseWorkspace(deps, 't1', ws.id);
    expect(again.accepted).toBe(false);
    expect(again.workspace.status).toBe('stopped');
    expect(deps.store.peek(ws.id)).toEqual(before);
    expect(deps.runtime.callsOf('stop')).toHaveLength(stops);
  });

  it('resumes a paused workspace so its files can be synced', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'paused' });
    deps.workspaceAgent.filesOf(ws.endpoint!).set('x', Buffer.from('1'));
    const r = await releaseWorkspace(deps, 't1', ws.id);
    expect(r.workspace.status).toBe('stopped');
    expect(deps.runtime.callsOf('resume')).toEqual([{ op: 'resume', taskRef: ws.taskRef }]);
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(1);
    expect(hasSnapshot(deps.blobs, 't1', ws.conversationId)).toBe(true);
  });

  it('still stops the workspace when the sync fails', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.unreachable = true;
    const r = await releaseWorkspace(deps, 't1', ws.id);
    expect(r.workspace).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(deps.runtime.tasks.get(ws.taskRef!)?.state).toBe('stopped');
  });

  it('deletes a provisioning workspace without a task', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning' });
    const r = await releaseWorkspace(deps, 't1', ws.id);
    expect(r).toMatchObject({
      accepted: true,
      workspace: { status: 'stopped', terminationReason: 'deleted' },
    });
    expect(deps.runtime.callsOf('stop')).toEqual([]);
  });

  it("answers 404 for another tenant's workspace and leaves it alone", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const e = await releaseWorkspace(deps, 't2', ws.id).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('not_found');
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });
});

describe('keepalive', () => {
  it("extends the lease by the given ttl, else the workspace's own", async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 600, expiresAt: deps.clock.now() + 10_000 });
    deps.clock.advance(5_000);
    const now = deps.clock.now();
    expect((await keepalive(deps, 't1', ws.id)).expiresAt).toBe(now + 600_000);
    const r = await keepalive(deps, 't1', ws.id, 3600);
    expect(r).toMatchObject({ expiresAt: now + 3_600_000, lastActiveAt: now, ttlSeconds: 3600 });
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(now + 3_600_000);
  });

  it.each(['stopped', 'failed', 'stopping'] as const)(
    'refuses a %s workspace with workspace_ended (409)',
    async (status) => {
      const deps = makeDeps();
      const ws = seedWorkspace(deps, {
        status,
        taskRef: null,
        terminationReason: status === 'failed' ? 'oom' : 'deleted',
      });
      const e = await keepalive(deps, 't1', ws.id).catch((x) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect(e.code).toBe('workspace_ended');
      expect(e.status).toBe(409);
    },
  );

  it('answers 404 for a workspace whose lease ran out (reads never trust TTL)', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const e = await keepalive(deps, 't1', ws.id).catch((x) => x);
    expect(e.code).toBe('not_found');
  });
});

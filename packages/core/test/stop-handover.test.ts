import { describe, expect, it } from 'vitest';
import {
  acquireWorkspace,
  finishStop,
  releaseWorkspace,
  sweep,
  type StopRequest,
  type Stopper,
} from '@berth/core';
import { makeDeps, seedWorkspace, type TestDeps } from './support/make-deps.js';
import { hasSnapshot, snapshotFiles } from './support/tar-files.js';

/** The deployed arrangement: stops are handed to a queue (recorded here) that the stop worker drains. */
function withStopQueue(deps: TestDeps) {
  const queued: StopRequest[] = [];
  const stopper: Stopper = { handOver: async (stop) => void queued.push(stop) };
  deps.stopper = stopper;
  return queued;
}

describe('stops handed over to the stop worker', () => {
  it('a delete answers stopping at once; the worker saves the files, stops the task, ends it', async () => {
    const deps = makeDeps();
    const queued = withStopQueue(deps);
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.filesOf(ws.endpoint!).set('notes.md', Buffer.from('keep me'));

    const r = await releaseWorkspace(deps, 't1', ws.id);
    expect(r).toMatchObject({
      accepted: true,
      workspace: { status: 'stopping', terminationReason: 'deleted' },
    });
    expect(queued).toEqual([{ workspaceId: ws.id, tenantId: 't1' }]);
    // Nothing of the stop happened in the caller: no archive, no task stopped.
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(0);
    expect(deps.runtime.callsOf('stop')).toHaveLength(0);

    const ended = await finishStop(deps, ws.id);
    expect(ended).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(deps.runtime.tasks.get(ws.taskRef!)?.state).toBe('stopped');
    expect(await snapshotFiles(deps.blobs, 't1', ws.conversationId)).toEqual({
      'notes.md': Buffer.from('keep me').toString('base64'),
    });
  });

  it('a repeated delete does not queue the stop again; a stop delivered twice does nothing the second time', async () => {
    const deps = makeDeps();
    const queued = withStopQueue(deps);
    const ws = seedWorkspace(deps);
    await releaseWorkspace(deps, 't1', ws.id);
    const again = await releaseWorkspace(deps, 't1', ws.id);
    expect(again.workspace.status).toBe('stopping');
    expect(queued).toHaveLength(1);
    await finishStop(deps, ws.id);
    const archives = deps.workspaceAgent.callsOf('archiveOut').length;
    const stops = deps.runtime.callsOf('stop').length;
    const before = deps.store.peek(ws.id)!;
    expect(await finishStop(deps, ws.id)).toEqual(before);
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(archives);
    expect(deps.runtime.callsOf('stop')).toHaveLength(stops);
  });

  it('leaves a workspace that is not stopping alone (a stop for a live one is not obeyed)', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    expect(await finishStop(deps, ws.id)).toMatchObject({ status: 'ready' });
    expect(deps.runtime.callsOf('stop')).toHaveLength(0);
  });

  it('the sweep hands expired workspaces over and never touches the files itself', async () => {
    const deps = makeDeps();
    const queued = withStopQueue(deps);
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const report = await sweep(deps);
    expect(report.expired).toBe(1);
    expect(queued).toEqual([{ workspaceId: ws.id, tenantId: 't1' }]);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopping', terminationReason: 'expired' });
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(0);
    expect(hasSnapshot(deps.blobs, 't1', ws.conversationId)).toBe(false);
  });

  it('a new workspace for a conversation whose previous one is still stopping names it as its predecessor', async () => {
    const deps = makeDeps();
    const queued = withStopQueue(deps);
    deps.provisioner.mode = 'manual';
    const previous = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const { workspace } = await acquireWorkspace(deps, {
      tenantId: 't1',
      conversationId: previous.conversationId,
      wait: false,
    });
    expect(workspace.id).not.toBe(previous.id);
    expect(queued.map((q) => q.workspaceId)).toEqual([previous.id]);
    expect(deps.provisioner.started).toEqual([{ workspaceId: workspace.id, predecessorId: previous.id }]);
  });

  it('no predecessor when the previous workspace already ended', async () => {
    const deps = makeDeps();
    deps.provisioner.mode = 'manual';
    const previous = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    // No stopper: the stop finishes in process before the new workspace is created.
    const { workspace } = await acquireWorkspace(deps, {
      tenantId: 't1',
      conversationId: previous.conversationId,
      wait: false,
    });
    expect(deps.store.peek(previous.id)!.status).toBe('stopped');
    expect(deps.provisioner.started).toEqual([{ workspaceId: workspace.id }]);
  });
});

import { describe, expect, it } from 'vitest';
import { onTaskStopped, reasonFor, type TaskStoppedEvent } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

const event = (over: Partial<TaskStoppedEvent>): TaskStoppedEvent => ({
  taskRef: 't',
  workspaceId: null,
  oomKilled: false,
  exitCode: null,
  stoppedReason: null,
  ...over,
});

describe('reasonFor', () => {
  it('calls an OOM kill oom, whichever way it is reported', () => {
    expect(reasonFor(event({ oomKilled: true }))).toBe('oom');
    expect(
      reasonFor(event({ stoppedReason: 'OutOfMemoryError: Container killed due to memory usage' })),
    ).toBe('oom');
  });

  it("keeps the runtime's reason after task_stopped:, else the exit code", () => {
    expect(reasonFor(event({ stoppedReason: 'Essential container in task exited', exitCode: 1 }))).toBe(
      'task_stopped:Essential container in task exited',
    );
    expect(reasonFor(event({ exitCode: 137 }))).toBe('task_stopped:exit 137');
    expect(reasonFor(event({}))).toBe('task_stopped:exit unknown');
    expect(reasonFor(event({ stoppedReason: 'x'.repeat(500) }))).toHaveLength('task_stopped:'.length + 200);
  });
});

describe('onTaskStopped', () => {
  it('ends a stopping workspace as stopped, keeping its reason', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, {
      status: 'stopping',
      terminationReason: 'expired',
      deadlineAt: deps.clock.now() + 1000,
    });
    const r = await onTaskStopped(deps, event({ taskRef: ws.taskRef!, workspaceId: ws.id, exitCode: 0 }));
    expect(r).toMatchObject({ status: 'stopped', terminationReason: 'expired' });
    expect(deps.store.peek(ws.id)!.status).toBe('stopped');
  });

  it.each(['ready', 'paused', 'provisioning'] as const)(
    'fails a %s workspace whose task died, with oom',
    async (status) => {
      const deps = makeDeps();
      const ws = seedWorkspace(deps, { status, ...(status === 'provisioning' && { taskRef: 'tp' }) });
      const r = await onTaskStopped(
        deps,
        event({ taskRef: ws.taskRef!, workspaceId: ws.id, oomKilled: true }),
      );
      expect(r).toMatchObject({ status: 'failed', terminationReason: 'oom' });
      expect(deps.store.bindings.size).toBe(0);
    },
  );

  it('fails a live workspace with task_stopped:<reason>', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await onTaskStopped(
      deps,
      event({
        taskRef: ws.taskRef!,
        workspaceId: ws.id,
        stoppedReason: 'Task stopped by user',
        exitCode: 143,
      }),
    );
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'task_stopped:Task stopped by user',
    });
  });

  it('ignores an event for another task of the workspace (a replaced or stray task)', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    expect(
      await onTaskStopped(deps, event({ taskRef: 'other', workspaceId: ws.id, oomKilled: true })),
    ).toBeNull();
    expect(deps.store.peek(ws.id)).toEqual(ws);
  });

  it('ignores events without a workspace id, for unknown workspaces and for ended ones', async () => {
    const deps = makeDeps();
    const ended = seedWorkspace(deps, { status: 'stopped', terminationReason: 'deleted', taskRef: 'x' });
    expect(await onTaskStopped(deps, event({ taskRef: 'x' }))).toBeNull();
    expect(await onTaskStopped(deps, event({ taskRef: 'x', workspaceId: 'ws_unknown' }))).toBeNull();
    expect(
      await onTaskStopped(deps, event({ taskRef: 'x', workspaceId: ended.id, oomKilled: true })),
    ).toBeNull();
    expect(deps.store.peek(ended.id)).toEqual(ended);
  });

  it('is idempotent: a repeated event keeps the first reason', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await onTaskStopped(deps, event({ taskRef: ws.taskRef!, workspaceId: ws.id, oomKilled: true }));
    await onTaskStopped(deps, event({ taskRef: ws.taskRef!, workspaceId: ws.id, stoppedReason: 'later' }));
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('oom');
  });
});

import { describe, expect, it } from 'vitest';
import { onTaskStopped, terminationReasonFor, type StoppedContainer, type TaskStopped } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

/** A stop in the flat words the old event had: the workspace container's OOM and exit code, the task's reason. */
const event = (
  over: Partial<Omit<TaskStopped, 'containers'>> & { oomKilled?: boolean; exitCode?: number | null },
): TaskStopped => {
  const { oomKilled = false, exitCode = null, ...rest } = over;
  return {
    taskRef: 't',
    workspaceId: null,
    stoppedAt: null,
    cause: 'unknown',
    containers: [{ name: 'workspace', role: 'workspace', exitCode, oomKilled, reason: null }],
    stoppedReason: null,
    ...rest,
  };
};

const container = (over: Partial<StoppedContainer>): StoppedContainer => ({
  name: 'workspace',
  role: 'workspace',
  exitCode: null,
  oomKilled: false,
  reason: null,
  ...over,
});

describe('terminationReasonFor', () => {
  it("calls the workspace container's OOM kill oom, whatever the cause says", () => {
    expect(terminationReasonFor(event({ oomKilled: true }))).toBe('oom');
    expect(terminationReasonFor(event({ oomKilled: true, cause: 'stop_requested' }))).toBe('oom');
  });

  it("reports a sidecar's OOM kill as the sidecar's; the workspace's own wins when both", () => {
    const sidecar = container({ name: 'proxy', role: 'sidecar', oomKilled: true, exitCode: 137 });
    const ws = container({ exitCode: 143 });
    expect(terminationReasonFor({ ...event({ cause: 'container_exited' }), containers: [ws, sidecar] })).toBe(
      'task_stopped:sidecar_oom',
    );
    const both = [container({ oomKilled: true }), sidecar];
    expect(terminationReasonFor({ ...event({}), containers: both })).toBe('oom');
  });

  it.each([
    ['container_exited', 1, 'task_stopped:exited:1'],
    ['container_exited', null, 'task_stopped:exited'],
    ['stop_requested', 143, 'task_stopped:stop_requested'],
    ['spot_interruption', 143, 'task_stopped:spot_interruption'],
    ['host_retired', 143, 'task_stopped:host_retired'],
  ] as const)('names the cause %s (exit %s) %s, not the runtime words', (cause, exitCode, reason) => {
    expect(
      terminationReasonFor(event({ cause, exitCode, stoppedReason: 'Essential container in task exited' })),
    ).toBe(reason);
  });

  it('a task that failed to start keeps why, bounded', () => {
    expect(
      terminationReasonFor(event({ cause: 'failed_to_start', stoppedReason: 'CannotPullContainerError' })),
    ).toBe('task_stopped:failed_to_start: CannotPullContainerError');
    expect(terminationReasonFor(event({ cause: 'failed_to_start' }))).toBe('task_stopped:failed_to_start');
    expect(
      terminationReasonFor(event({ cause: 'failed_to_start', stoppedReason: 'x'.repeat(500) })),
    ).toHaveLength('task_stopped:'.length + 200);
  });

  it("an unknown cause keeps the runtime's reason after task_stopped:, else the exit code", () => {
    expect(
      terminationReasonFor(event({ stoppedReason: 'Essential container in task exited', exitCode: 1 })),
    ).toBe('task_stopped:Essential container in task exited');
    expect(terminationReasonFor(event({ exitCode: 137 }))).toBe('task_stopped:exit 137');
    expect(terminationReasonFor(event({}))).toBe('task_stopped:exit unknown');
    expect(terminationReasonFor(event({ stoppedReason: 'x'.repeat(500) }))).toHaveLength(
      'task_stopped:'.length + 200,
    );
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

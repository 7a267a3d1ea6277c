import { describe, expect, it } from 'vitest';
import { parseEcsTaskStateChange } from '@berth/aws';
import { TASK_ARN, ecsEvent, stoppedEvent } from './ecs-task-state-events.js';

const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

describe('parseEcsTaskStateChange', () => {
  it('a RUNNING (or PENDING) event is not a stop', () => {
    expect(parseEcsTaskStateChange(ecsEvent({}))).toBeNull();
    expect(parseEcsTaskStateChange(ecsEvent({ lastStatus: 'PENDING' }))).toBeNull();
    // Desired STOPPED but still DEACTIVATING/STOPPING: not yet.
    expect(
      parseEcsTaskStateChange(ecsEvent({ lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' })),
    ).toBeNull();
  });

  it('STOPPED with an OutOfMemoryError reason marks that container OOM-killed, workspace from startedBy', () => {
    const ev = stoppedEvent([{ exitCode: 137, reason: OOM_REASON }, { exitCode: 0 }]);
    expect(parseEcsTaskStateChange(ev)).toEqual({
      taskRef: TASK_ARN,
      workspaceId: 'ws_m5x2k1a0c3b4d5e6f7a8b9c0d1e2',
      stoppedAt: Date.parse('2025-01-15T16:12:01.400Z'),
      cause: 'container_exited',
      containers: [
        { name: 'workspace', role: 'workspace', exitCode: 137, oomKilled: true, reason: OOM_REASON },
        { name: 'proxy', role: 'sidecar', exitCode: 0, oomKilled: false, reason: null },
      ],
      stoppedReason: 'Essential container in task exited',
    });
  });

  it("a sidecar's OOM is the sidecar's, not the workspace's", () => {
    const ev = stoppedEvent([{ exitCode: 143 }, { exitCode: 137, reason: OOM_REASON }]);
    expect(parseEcsTaskStateChange(ev)!.containers).toMatchObject([
      { role: 'workspace', oomKilled: false, exitCode: 143 },
      { role: 'sidecar', oomKilled: true, exitCode: 137 },
    ]);
  });

  it('the workspace container is the one EcsRuntime names; every other one is a sidecar', () => {
    const ev = stoppedEvent([{ exitCode: 1 }, { exitCode: 143 }]);
    expect(
      parseEcsTaskStateChange(ev, { workspaceContainer: 'proxy' })!.containers.map((c) => c.role),
    ).toEqual(['sidecar', 'workspace']);
  });

  it.each([
    ['EssentialContainerExited', 'container_exited'],
    ['UserInitiated', 'stop_requested'],
    ['ServiceSchedulerInitiated', 'stop_requested'],
    ['SpotInterruption', 'spot_interruption'],
    ['TerminationNotice', 'host_retired'],
    ['TaskFailedToStart', 'failed_to_start'],
    ['SomethingNew', 'unknown'],
    ['constructor', 'unknown'],
  ])('stopCode %s is the cause %s', (stopCode, cause) => {
    expect(parseEcsTaskStateChange(stoppedEvent([{}, {}], { stopCode }))!.cause).toBe(cause);
  });

  it('a StopTask carries its reason', () => {
    const ev = stoppedEvent([{ exitCode: 143 }, { exitCode: 143 }], {
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
    });
    expect(parseEcsTaskStateChange(ev)).toMatchObject({
      cause: 'stop_requested',
      stoppedReason: 'Task stopped by user',
    });
  });

  it('a task that never started (image pull failure, no exit codes) is still a stop', () => {
    const pull = 'CannotPullContainerError: pull image manifest has been retried 5 time(s)';
    const ev = stoppedEvent([{ reason: pull }, {}], { stopCode: 'TaskFailedToStart', stoppedReason: pull });
    expect(parseEcsTaskStateChange(ev)).toMatchObject({
      cause: 'failed_to_start',
      containers: [{ exitCode: null, oomKilled: false, reason: pull }, { exitCode: null }],
      stoppedReason: expect.stringContaining('CannotPull'),
    });
  });

  it('a task started by something else has no workspace id; no stoppedAt is null', () => {
    const ev = stoppedEvent([{ exitCode: 0 }, { exitCode: 0 }], {
      startedBy: undefined,
      stoppedAt: undefined,
    });
    expect(parseEcsTaskStateChange(ev)).toMatchObject({ workspaceId: null, stoppedAt: null });
  });
});

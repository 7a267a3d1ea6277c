import { describe, expect, it } from 'vitest';
import { missingTask, type TaskStatus } from '@berth/core';
import { dockerTaskStopped, type DockerContainerEnd } from '../../src/runtime/docker-task-stopped.js';

const exited = (over: Partial<TaskStatus> = {}): TaskStatus => ({
  ...missingTask('c1'),
  state: 'stopped',
  workspaceId: 'ws_1',
  exitCode: 0,
  stoppedReason: 'exited:0',
  stoppedAt: 1_000,
  ...over,
});

const end = (over: Partial<DockerContainerEnd> = {}): DockerContainerEnd => ({
  name: 'workspace',
  role: 'workspace',
  status: exited(),
  oomEvent: false,
  killSignal: null,
  exitCode: null,
  ...over,
});

describe('dockerTaskStopped', () => {
  it('a container that ended on its own: container_exited, with its exit code and stop time', () => {
    const s = dockerTaskStopped('c1', 'ws_1', [
      end({ status: exited({ exitCode: 1, stoppedReason: 'exited:1' }) }),
    ]);
    expect(s).toEqual({
      taskRef: 'c1',
      workspaceId: 'ws_1',
      stoppedAt: 1_000,
      cause: 'container_exited',
      containers: [
        { name: 'workspace', role: 'workspace', exitCode: 1, oomKilled: false, reason: 'exited:1' },
      ],
      stoppedReason: 'exited:1',
    });
  });

  it('a kill through the Docker API before the die is a requested stop', () => {
    const s = dockerTaskStopped('c1', 'ws_1', [end({ killSignal: 9, status: exited({ exitCode: 137 }) })]);
    expect(s.cause).toBe('stop_requested');
  });

  it('an OOM kill is the kernel’s, from the inspect flag or the oom event, whatever kill followed', () => {
    const flagged = dockerTaskStopped('c1', 'ws_1', [
      end({ status: exited({ oomKilled: true, exitCode: 137 }) }),
    ]);
    expect(flagged).toMatchObject({ cause: 'container_exited', containers: [{ oomKilled: true }] });
    const evented = dockerTaskStopped('c1', 'ws_1', [end({ oomEvent: true, killSignal: 9 })]);
    expect(evented).toMatchObject({ cause: 'container_exited', containers: [{ oomKilled: true }] });
  });

  it('a container removed before it was inspected: the die event’s exit code, else unknown', () => {
    const died = dockerTaskStopped('c1', 'ws_1', [end({ status: missingTask('c1'), exitCode: 2 })]);
    expect(died).toMatchObject({
      cause: 'container_exited',
      stoppedReason: 'container removed',
      containers: [{ exitCode: 2, oomKilled: false }],
    });
    const gone = dockerTaskStopped('c1', 'ws_1', [end({ status: missingTask('c1') })]);
    expect(gone).toMatchObject({ cause: 'unknown', stoppedReason: 'container removed' });
    const removed = dockerTaskStopped('c1', 'ws_1', [end({ status: missingTask('c1'), killSignal: 9 })]);
    expect(removed.cause).toBe('stop_requested');
  });
});

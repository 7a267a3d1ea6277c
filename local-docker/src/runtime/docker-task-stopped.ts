import type { ContainerRole, StopCause, TaskStatus, TaskStopped } from '@berth/core';

/** What Docker told of one container's end. */
export interface DockerContainerEnd {
  name: string;
  role: ContainerRole;
  /** DockerRuntime.describe after the die (`missing` once removed). */
  status: TaskStatus;
  /** An `oom` event was seen for it. */
  oomEvent: boolean;
  /** The signal of a Docker API kill just before its die (docker stop/kill/rm -f); null = it ended on its own. */
  killSignal: number | null;
  /** The die event's exit code, for a container removed before it could be inspected. */
  exitCode: number | null;
}

const oomKilled = (c: DockerContainerEnd) => c.status.oomKilled || c.oomEvent;

/**
 * Docker's die/oom/kill events of a task's containers → the core's TaskStopped. Locally a task is one container
 * (the egress proxy runs in the host process), so `containers` holds the workspace's alone; the mapping takes a
 * list so a sidecar container, should one run, is reported as the sidecar it is.
 */
export function dockerTaskStopped(
  taskRef: string,
  workspaceId: string | null,
  containers: DockerContainerEnd[],
): TaskStopped {
  const workspace = containers.find((c) => c.role === 'workspace');
  const removed = workspace?.status.state === 'missing';
  return {
    taskRef,
    workspaceId,
    stoppedAt: workspace?.status.stoppedAt ?? null,
    cause: causeOf(containers),
    containers: containers.map((c) => ({
      name: c.name,
      role: c.role,
      exitCode: c.status.exitCode ?? c.exitCode,
      oomKilled: oomKilled(c),
      reason: c.status.stoppedReason,
    })),
    stoppedReason: workspace?.status.stoppedReason ?? (removed ? 'container removed' : null),
  };
}

function causeOf(containers: DockerContainerEnd[]): StopCause {
  // An OOM kill is the kernel's, whatever kill Docker sent after it.
  if (containers.some(oomKilled)) return 'container_exited';
  // Died with no Docker API kill before it: stopped, or removed since but its die was seen.
  const endedAlone = containers.some(
    (c) => c.killSignal === null && (c.status.state === 'stopped' || c.exitCode !== null),
  );
  if (endedAlone) return 'container_exited';
  // Berth's own stops reach the core as a workspace already `stopping`: a kill seen here came from elsewhere.
  if (containers.some((c) => c.killSignal !== null)) return 'stop_requested';
  return 'unknown';
}

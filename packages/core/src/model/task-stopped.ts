import type { TerminationReason } from './workspace.js';

/** What a container is for in a workspace's task: the agent's container, or one beside it (the egress proxy). */
export type ContainerRole = 'workspace' | 'sidecar';

/** One container of a stopped task, as its runtime reported it. */
export interface StoppedContainer {
  name: string;
  role: ContainerRole;
  exitCode: number | null;
  /** The kernel killed it for exceeding its memory limit. */
  oomKilled: boolean;
  /** The runtime's words for this container (ECS container reason, Docker's state error); for logs. */
  reason: string | null;
}

/**
 * Why the runtime stopped the task, in words of no runtime. Each adapter maps its own codes here (ECS
 * stopCode in packages/aws, Docker's kill/die events in local-docker).
 */
export type StopCause =
  /** A container ended on its own (exit, crash, OOM kill) and took the task down. */
  | 'container_exited'
  /** Someone asked the runtime to stop it (StopTask, docker stop/kill); Berth's own stops come as `stopping`. */
  | 'stop_requested'
  /** The capacity under it was reclaimed (Fargate Spot). */
  | 'spot_interruption'
  /** The platform retired the host it ran on (ECS TerminationNotice). */
  | 'host_retired'
  /** It never ran (image pull, ENI, resource errors). */
  | 'failed_to_start'
  | 'unknown';

/** A workspace's task stopped: the one event every runtime's stop notices are turned into. */
export interface TaskStopped {
  taskRef: string;
  /** From the task's labels/tags/startedBy; the event is ignored without one. */
  workspaceId: string | null;
  /** Epoch ms, if the runtime says. */
  stoppedAt: number | null;
  cause: StopCause;
  containers: StoppedContainer[];
  /** The runtime's own words for the task (ECS stoppedReason, Docker's exit description). */
  stoppedReason: string | null;
}

/** Detail after `task_stopped:` is the runtime's free text: bounded, as it is stored and shown. */
const taskStopped = (detail: string): TerminationReason => `task_stopped:${detail.slice(0, 200)}`;

/**
 * The one rule from a stopped task to the workspace's terminationReason. OOM first (it is what ended the task,
 * whatever stop code followed), the workspace's own before a sidecar's; then the cause. Only a cause no
 * adapter could name keeps the runtime's words, so ECS and Docker say the same thing for the same happening.
 */
export function terminationReasonFor(event: TaskStopped): TerminationReason {
  const workspace = event.containers.find((c) => c.role === 'workspace');
  if (workspace?.oomKilled) return 'oom';
  if (event.containers.some((c) => c.role === 'sidecar' && c.oomKilled)) return 'task_stopped:sidecar_oom';
  switch (event.cause) {
    case 'container_exited':
      return workspace?.exitCode === null || workspace?.exitCode === undefined
        ? 'task_stopped:exited'
        : `task_stopped:exited:${workspace.exitCode}`;
    case 'stop_requested':
      return 'task_stopped:stop_requested';
    case 'spot_interruption':
      return 'task_stopped:spot_interruption';
    case 'host_retired':
      return 'task_stopped:host_retired';
    case 'failed_to_start':
      return taskStopped(`failed_to_start${event.stoppedReason ? `: ${event.stoppedReason}` : ''}`);
    case 'unknown': {
      return taskStopped(
        event.stoppedReason ?? workspace?.reason ?? `exit ${workspace?.exitCode ?? 'unknown'}`,
      );
    }
  }
}

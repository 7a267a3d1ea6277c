import type { StopCause, StoppedContainer, TaskStopped } from '@berth/core';
import { WORKSPACE_CONTAINER, isOutOfMemory } from './task-mapping.js';

/** The part of EventBridge's "ECS Task State Change" event Berth reads. */
export interface EcsTaskStateChangeEvent {
  'detail-type': string;
  source: string;
  detail: {
    taskArn: string;
    lastStatus: string;
    /** RunTask's `startedBy`: Berth puts the workspace id there (ECS events carry no tags). */
    startedBy?: string;
    stoppedReason?: string;
    stopCode?: string;
    /** ISO time. */
    stoppedAt?: string;
    containers?: { name: string; exitCode?: number; reason?: string }[];
  };
}

export interface EcsTaskStateOptions {
  /** The container that runs the agent (EcsRuntime's `containerName`); every other one is a sidecar. */
  workspaceContainer?: string;
}

// ECS's stopCode values (ECS API reference, Task.stopCode). UserInitiated is any StopTask: Berth's own stops
// reach the core as a workspace already `stopping`, so one seen on a live workspace came from elsewhere.
const CAUSES = new Map<string, StopCause>([
  ['EssentialContainerExited', 'container_exited'],
  ['UserInitiated', 'stop_requested'],
  ['ServiceSchedulerInitiated', 'stop_requested'],
  ['SpotInterruption', 'spot_interruption'],
  ['TerminationNotice', 'host_retired'],
  ['TaskFailedToStart', 'failed_to_start'],
]);

/** An ECS task-state event → the core's TaskStopped; null for anything but a stop. */
export function parseEcsTaskStateChange(
  event: EcsTaskStateChangeEvent,
  opts: EcsTaskStateOptions = {},
): TaskStopped | null {
  const d = event.detail;
  if (d.lastStatus !== 'STOPPED') return null;
  const workspaceName = opts.workspaceContainer ?? WORKSPACE_CONTAINER;
  const containers = (d.containers ?? []).map(
    (c): StoppedContainer => ({
      name: c.name,
      role: c.name === workspaceName ? 'workspace' : 'sidecar',
      exitCode: c.exitCode ?? null,
      oomKilled: isOutOfMemory(c.reason),
      reason: c.reason ?? null,
    }),
  );
  const stoppedAt = d.stoppedAt ? Date.parse(d.stoppedAt) : NaN;
  return {
    taskRef: d.taskArn,
    workspaceId: d.startedBy ?? null,
    stoppedAt: Number.isFinite(stoppedAt) ? stoppedAt : null,
    cause: CAUSES.get(d.stopCode ?? '') ?? 'unknown',
    containers,
    stoppedReason: d.stoppedReason ?? null,
  };
}

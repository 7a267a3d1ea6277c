import type { Task } from '@aws-sdk/client-ecs';
import type { TaskState, TaskStatus } from '@berth/core';

/** Tags Berth puts on every workspace task; `list()` keeps only tasks carrying `berth:managed=true`. */
export const TAG = {
  managed: 'berth:managed',
  workspaceId: 'berth:workspace-id',
  tenantId: 'berth:tenant-id',
  template: 'berth:template',
} as const;

/** The agent's container in Berth's task definition unless EcsRuntime is told otherwise; the others are sidecars. */
export const WORKSPACE_CONTAINER = 'workspace';
/** The proxy sidecar's container: RunTask tells it whose workspace it serves (PROXY_WORKSPACE_ID). */
export const PROXY_CONTAINER = 'proxy';

/**
 * ECS puts the kernel's OOM kill in the container's reason ("OutOfMemoryError: Container killed due to memory
 * usage"); the exit code alone (137) cannot tell it from a SIGKILL.
 */
export const isOutOfMemory = (containerReason: string | undefined) =>
  /OutOfMemory/i.test(containerReason ?? '');

export interface TaskMappingOptions {
  /** The container that runs the agent (its exit code is the task's). */
  containerName: string;
  agentPort: number;
}

/**
 * ECS task lifecycle → Berth's TaskState. ECS has no frozen state, so `paused` never comes from here.
 * Everything from DEACTIVATING on is stopped: the agent is going away and must not be handed out.
 */
export function ecsTaskState(task: Pick<Task, 'lastStatus' | 'desiredStatus'>): TaskState {
  switch (task.lastStatus) {
    case 'PROVISIONING':
    case 'PENDING':
    case 'ACTIVATING':
      // A task told to stop before it ever ran will not run.
      return task.desiredStatus === 'STOPPED' ? 'stopped' : 'pending';
    case 'RUNNING':
      return task.desiredStatus === 'STOPPED' ? 'stopped' : 'running';
    case 'DEACTIVATING':
    case 'STOPPING':
    case 'DEPROVISIONING':
    case 'STOPPED':
      return 'stopped';
    default:
      // Unknown or absent: treat as still starting; the provisioning deadline bounds the wait.
      return 'pending';
  }
}

/** The task's private IP, from the awsvpc ENI attachment; ECS fills it in some seconds after RunTask. */
export function privateIp(task: Pick<Task, 'attachments'>): string | null {
  for (const a of task.attachments ?? []) {
    if (a.type !== 'ElasticNetworkInterface' && a.type !== 'eni') continue;
    const ip = a.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return null;
}

export function tagValue(task: Pick<Task, 'tags'>, key: string): string | undefined {
  return task.tags?.find((t) => t.key === key)?.value;
}

export const isBerthManaged = (task: Pick<Task, 'tags'>) => tagValue(task, TAG.managed) === 'true';

/** A task as the port describes it; pure, so every ECS answer shape is unit-testable. */
export function toTaskStatus(task: Task, opts: TaskMappingOptions): TaskStatus {
  const state = ecsTaskState(task);
  const ip = state === 'running' ? privateIp(task) : null;
  const containers = task.containers ?? [];
  const agent = containers.find((c) => c.name === opts.containerName);
  const stopped = state === 'stopped';
  return {
    taskRef: task.taskArn ?? '',
    state,
    endpoint: ip ? { kind: 'http', host: ip, port: opts.agentPort } : null,
    // Tags are authoritative; `startedBy` is the fallback (EventBridge events carry no tags, so Berth sets both).
    workspaceId: tagValue(task, TAG.workspaceId) ?? task.startedBy ?? null,
    stoppedReason: stopped ? (task.stoppedReason ?? agent?.reason ?? null) : null,
    exitCode: agent?.exitCode ?? null,
    // The agent's container only: a sidecar's OOM is not the workspace's (task-state-event.ts reports it).
    oomKilled: isOutOfMemory(agent?.reason),
    stoppedAt: stopped && task.stoppedAt ? new Date(task.stoppedAt).getTime() : null,
  };
}

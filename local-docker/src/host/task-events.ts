import type { ContainerRuntime, ServiceLogger } from '@berth/core';
import type { TaskStateChangeEvent } from '@berth/functions';
import type { WorkspaceContainerEvent } from '../runtime/docker-events.js';

/**
 * A Docker die/oom event as EventBridge's "ECS Task State Change", so the cloud's task-state handler runs
 * unchanged. An `oom` that killed only a child process leaves the container running: the exec that ran it
 * reports that, and the workspace lives on.
 */
export async function toTaskStateChange(
  runtime: ContainerRuntime,
  event: WorkspaceContainerEvent,
  log: ServiceLogger,
): Promise<TaskStateChangeEvent | null> {
  const status = await runtime.describe(event.taskRef);
  if (status.state !== 'stopped' && status.state !== 'missing') {
    if (event.action === 'oom')
      log.warn('process in workspace OOM-killed', { workspaceId: event.workspaceId });
    return null;
  }
  const oom = status.oomKilled || event.action === 'oom';
  return {
    source: 'berth.local',
    'detail-type': 'ECS Task State Change',
    detail: {
      taskArn: event.taskRef,
      lastStatus: 'STOPPED',
      startedBy: event.workspaceId ?? status.workspaceId ?? undefined,
      stoppedReason: status.stoppedReason ?? (status.state === 'missing' ? 'container removed' : undefined),
      containers: [
        {
          name: 'workspace',
          exitCode: status.exitCode ?? event.exitCode ?? undefined,
          reason: oom
            ? 'OutOfMemoryError: Container killed due to memory usage'
            : (status.stoppedReason ?? undefined),
        },
      ],
    },
  };
}

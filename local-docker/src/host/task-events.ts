import type { ContainerRuntime, ServiceLogger, TaskStopped } from '@berth/core';
import type { WorkspaceContainerEvent } from '../runtime/docker-events.js';
import { dockerTaskStopped } from '../runtime/docker-task-stopped.js';

/**
 * A Docker die/oom event of a workspace container → the core's TaskStopped, or null while the container still
 * runs: an `oom` that killed only a child process leaves it running; the exec that ran it reports that, and the
 * workspace lives on.
 */
export async function toTaskStopped(
  runtime: ContainerRuntime,
  event: WorkspaceContainerEvent,
  log: ServiceLogger,
): Promise<TaskStopped | null> {
  const status = await runtime.describe(event.taskRef);
  if (status.state !== 'stopped' && status.state !== 'missing') {
    if (event.action === 'oom')
      log.warn('process in workspace OOM-killed', { workspaceId: event.workspaceId });
    return null;
  }
  return dockerTaskStopped(event.taskRef, event.workspaceId ?? status.workspaceId, [
    {
      name: 'workspace',
      role: 'workspace',
      status,
      oomEvent: event.action === 'oom',
      killSignal: event.signal,
      exitCode: event.exitCode,
    },
  ]);
}

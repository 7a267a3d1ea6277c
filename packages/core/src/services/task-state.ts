import { isTerminal } from '../model/lifecycle.js';
import { terminationReasonFor, type TaskStopped } from '../model/task-stopped.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import type { TaskStatus } from '../ports/container-runtime.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { METRIC } from '../observability/metric-names.js';
import { workspaceOfTask } from './workspace-of-task.js';

/**
 * A task stopped (as its adapter reports it: packages/aws reads ECS events, local-docker Docker's). If its
 * workspace was stopping, this is the expected end (stopped). Otherwise it died under the workspace: the
 * workspace fails with the reason, and the next acquire for its conversation starts a fresh one that
 * restores the files. Events for other tasks (replaced, unknown) change nothing.
 */
export async function onTaskStopped(deps: ServiceDeps, event: TaskStopped): Promise<WorkspaceRecord | null> {
  if (!event.workspaceId) return null;
  const ws = await workspaceOfTask(deps, event.workspaceId, deps.clock.now());
  // Only the record's own task: one without a task (starting, before StartContainer recorded it, whose steps see
  // a dead task themselves; or hibernated, its task stopped on purpose) takes no stop as its own.
  if (!ws || isTerminal(ws.status) || ws.taskRef !== event.taskRef) return null;
  const log = {
    workspaceId: ws.id,
    tenantId: ws.tenantId,
    conversationId: ws.conversationId,
    taskRef: event.taskRef,
  };
  if (ws.status === 'stopping') {
    deps.log.info('task stopped as asked', log);
    return endWorkspace(deps, ws.id, 'stopped', ws.terminationReason ?? 'deleted');
  }
  const reason = terminationReasonFor(event);
  deps.log.warn('task stopped unexpectedly', {
    ...log,
    terminationReason: reason,
    cause: event.cause,
    stoppedReason: event.stoppedReason,
    containers: event.containers,
  });
  deps.metrics.count(event.containers.some((c) => c.oomKilled) ? METRIC.TaskOomKilled : METRIC.TaskCrashed);
  return endWorkspace(deps, ws.id, 'failed', reason);
}

/**
 * What a runtime's `describe` knows of a stopped task, as a TaskStopped, for when a dead agent is found before
 * the stop event arrives: one container (the workspace's) and the runtime's words, so the rule still decides.
 */
export function taskStoppedFromStatus(task: TaskStatus): TaskStopped {
  return {
    taskRef: task.taskRef,
    workspaceId: task.workspaceId,
    stoppedAt: task.stoppedAt,
    cause: 'unknown',
    containers: [
      {
        name: 'workspace',
        role: 'workspace',
        exitCode: task.exitCode,
        oomKilled: task.oomKilled,
        reason: null,
      },
    ],
    stoppedReason: task.stoppedReason,
  };
}

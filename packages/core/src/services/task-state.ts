import { isTerminal } from '../model/lifecycle.js';
import type { TerminationReason, WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { METRIC } from '../observability/metric-names.js';

/** A task stopped (ECS "Task State Change" with lastStatus STOPPED, or a Docker die/oom event). */
export interface TaskStoppedEvent {
  taskRef: string;
  /** From the task's labels/tags; the event is ignored without one. */
  workspaceId: string | null;
  oomKilled: boolean;
  exitCode: number | null;
  /** ECS stoppedReason or a Docker description. */
  stoppedReason: string | null;
}

/** Why a task ended, in the vocabulary of TerminationReason. */
export function reasonFor(event: TaskStoppedEvent): TerminationReason {
  if (event.oomKilled || /OutOfMemory|OOM/i.test(event.stoppedReason ?? '')) return 'oom';
  const detail = (event.stoppedReason ?? `exit ${event.exitCode ?? 'unknown'}`).slice(0, 200);
  return `task_stopped:${detail}`;
}

/**
 * A task stopped. If its workspace was stopping, this is the expected end (stopped). Otherwise it died under
 * the workspace: the workspace fails with the reason, and the next acquire for its conversation starts a
 * fresh one that restores the files. Events for other tasks (replaced, unknown) change nothing.
 */
export async function onTaskStopped(
  deps: ServiceDeps,
  event: TaskStoppedEvent,
): Promise<WorkspaceRecord | null> {
  if (!event.workspaceId) return null;
  const ws = await deps.store.get(event.workspaceId, { now: deps.clock.now(), includeExpired: true });
  if (!ws || isTerminal(ws.status) || (ws.taskRef !== null && ws.taskRef !== event.taskRef)) return null;
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
  const reason = reasonFor(event);
  deps.log.warn('task stopped unexpectedly', { ...log, terminationReason: reason, exitCode: event.exitCode });
  deps.metrics.count(reason === 'oom' ? METRIC.TaskOomKilled : METRIC.TaskCrashed);
  return endWorkspace(deps, ws.id, 'failed', reason);
}

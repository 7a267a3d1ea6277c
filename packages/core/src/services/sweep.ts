import { isTerminal } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { stopWorkspace } from './release.js';
import { METRIC } from '../observability/metric-names.js';
import { workspaceOfTask } from './workspace-of-task.js';

export interface SweepReport {
  expired: number;
  provisionTimedOut: number;
  stoppingFinished: number;
  orphanTasks: number;
  orphanRecords: number;
  errors: number;
}

/**
 * The scheduled garbage collector. DynamoDB TTL deletes late (hours), so the sweep is what ends expired
 * workspaces; it also moves stuck transitional states on, stops Berth-labelled tasks no live record owns,
 * and closes live records whose task is gone.
 */
export async function sweep(deps: ServiceDeps, opts: { limit?: number } = {}): Promise<SweepReport> {
  const report: SweepReport = {
    expired: 0,
    provisionTimedOut: 0,
    stoppingFinished: 0,
    orphanTasks: 0,
    orphanRecords: 0,
    errors: 0,
  };
  const limit = opts.limit ?? 100;
  const now = deps.clock.now();
  /** The action's result, or undefined when it threw (counted as an error). */
  const attempt = async <T>(what: string, workspaceId: string | null, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      report.errors++;
      deps.log.error(`sweep: ${what} failed`, { workspaceId, error: String(e) });
      return undefined;
    }
  };

  // listDue reads an index that may lag: every action re-checks its condition on the fresh record (onlyIf),
  // so a keepalive or a MarkReady that won the race is never undone.
  const pastDeadline = (status: string) => (w: WorkspaceRecord) =>
    w.status === status && w.deadlineAt !== null && w.deadlineAt <= now;
  const expired = (w: WorkspaceRecord) => w.expiresAt <= now;
  /** Whether the action moved the workspace on (not declined as stale, not failed). */
  const acted = (r: WorkspaceRecord | undefined) =>
    r !== undefined && (isTerminal(r.status) || r.status === 'stopping');
  for (const ws of await deps.store.listDue(now, limit)) {
    if (pastDeadline('provisioning')(ws)) {
      const r = await attempt('provision timeout', ws.id, () =>
        endWorkspace(deps, ws.id, 'failed', 'provision_failed:timeout', {
          onlyIf: pastDeadline('provisioning'),
        }),
      );
      if (acted(r)) report.provisionTimedOut++;
    } else if (pastDeadline('stopping')(ws)) {
      const r = await attempt('stuck stopping', ws.id, () =>
        endWorkspace(deps, ws.id, 'stopped', ws.terminationReason ?? 'deleted', {
          onlyIf: pastDeadline('stopping'),
        }),
      );
      if (acted(r)) report.stoppingFinished++;
    } else if (expired(ws) && ws.status !== 'stopping') {
      // The workspace is never asked whether it is busy: its agent is untrusted (it could claim activity for
      // ever). Work the control plane follows (requests, relayed streams, commands it waits on) already moved
      // the lease on while it lasted (activity-heartbeat.ts), so an expired lease is simply over.
      const r = await attempt('expiry', ws.id, () =>
        stopWorkspace(deps, ws.id, 'expired', { onlyIf: expired }),
      );
      if (acted(r)) report.expired++;
    }
  }

  // Reconcile with the runtime: both directions.
  const tasks = await deps.runtime.list();
  const running = new Set(
    tasks.filter((t) => t.state !== 'stopped' && t.state !== 'missing').map((t) => t.taskRef),
  );
  for (const task of tasks) {
    const ws = task.workspaceId ? await workspaceOfTask(deps, task.workspaceId, now) : undefined;
    const owned = ws && !isTerminal(ws.status) && (ws.taskRef === null || ws.taskRef === task.taskRef);
    if (!owned) {
      await attempt('orphan task', task.workspaceId, () => deps.runtime.stop(task.taskRef, 'orphan'));
      deps.log.warn('orphan task stopped', { taskRef: task.taskRef, workspaceId: task.workspaceId });
      report.orphanTasks++;
    }
  }
  let cursor: string | undefined;
  do {
    const page = await deps.store.listLive(limit, cursor);
    for (const ws of page.items) {
      // Only settled states: a provisioning record may not have its task listed yet.
      if ((ws.status === 'ready' || ws.status === 'paused') && ws.taskRef && !running.has(ws.taskRef)) {
        const task = await deps.runtime.describe(ws.taskRef);
        const justStopped = task.stoppedAt !== null && now - task.stoppedAt < deps.config.taskEventGraceMs;
        if ((task.state === 'stopped' && !justStopped) || task.state === 'missing') {
          await attempt('orphan record', ws.id, () => endWorkspace(deps, ws.id, 'failed', 'orphan'));
          report.orphanRecords++;
        }
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);

  deps.metrics.count(METRIC.SweepExpired, report.expired);
  deps.metrics.count(METRIC.SweepOrphans, report.orphanTasks + report.orphanRecords);
  if (report.errors) deps.metrics.count(METRIC.SweepErrors, report.errors);
  deps.log.info('sweep done', { ...report });
  return report;
}

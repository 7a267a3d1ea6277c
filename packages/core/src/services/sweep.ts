import { isTerminal } from '../model/lifecycle.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { stopWorkspace } from './release.js';

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
  const attempt = async (what: string, workspaceId: string | null, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      report.errors++;
      deps.log.error(`sweep: ${what} failed`, { workspaceId, error: String(e) });
    }
  };

  for (const ws of await deps.store.listDue(now, limit)) {
    if (ws.status === 'provisioning' && ws.deadlineAt !== null && ws.deadlineAt <= now) {
      await attempt('provision timeout', ws.id, () => endWorkspace(deps, ws.id, 'failed', 'provision_failed:timeout'));
      report.provisionTimedOut++;
    } else if (ws.status === 'stopping' && ws.deadlineAt !== null && ws.deadlineAt <= now) {
      await attempt('stuck stopping', ws.id, () =>
        endWorkspace(deps, ws.id, 'stopped', ws.terminationReason ?? 'deleted'),
      );
      report.stoppingFinished++;
    } else if (ws.expiresAt <= now && ws.status !== 'stopping') {
      await attempt('expiry', ws.id, () => stopWorkspace(deps, ws.id, 'expired'));
      report.expired++;
    }
  }

  // Reconcile with the runtime: both directions.
  const tasks = await deps.runtime.list();
  const running = new Set(tasks.filter((t) => t.state !== 'stopped' && t.state !== 'missing').map((t) => t.taskRef));
  for (const task of tasks) {
    const ws = task.workspaceId
      ? await deps.store.get(task.workspaceId, { now, includeExpired: true })
      : undefined;
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
        if (task.state === 'stopped' || task.state === 'missing') {
          await attempt('orphan record', ws.id, () => endWorkspace(deps, ws.id, 'failed', 'orphan'));
          report.orphanRecords++;
        }
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);

  deps.metrics.count('SweepExpired', report.expired);
  deps.metrics.count('SweepOrphans', report.orphanTasks + report.orphanRecords);
  if (report.errors) deps.metrics.count('SweepErrors', report.errors);
  deps.log.info('sweep done', { ...report });
  return report;
}

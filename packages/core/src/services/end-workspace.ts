import { canTransition, isTerminal } from '../model/lifecycle.js';
import type { TerminationReason, WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { METRIC } from '../observability/metric-names.js';

/** When an ended record may be deleted (DynamoDB TTL): `endedRetentionSeconds` after it ended. */
export const endedRecordExpiry = (deps: Pick<ServiceDeps, 'config'>, now: number) =>
  now + deps.config.endedRetentionSeconds * 1000;

/**
 * Moves a workspace to an end state (stopped or failed) with its reason, frees its conversation and stops
 * its container. Idempotent: an already ended workspace keeps its first reason.
 */
export async function endWorkspace(
  deps: ServiceDeps,
  id: string,
  to: 'stopped' | 'failed',
  reason: TerminationReason,
  opts: {
    /** Checked on the freshest record: when false the workspace is left as it is (a decision made on stale data). */
    onlyIf?: (ws: WorkspaceRecord) => boolean;
  } = {},
): Promise<WorkspaceRecord> {
  const now = deps.clock.now();
  let declined = false;
  const { record, changed } = await conditionalUpdate(deps, id, (ws) => {
    declined = false;
    if (isTerminal(ws.status)) return null;
    if (opts.onlyIf && !opts.onlyIf(ws)) {
      declined = true;
      return null;
    }
    const target = canTransition(ws.status, to) ? to : 'failed';
    return {
      status: target,
      // A delete records `deleted` at stopping; keep the first reason given.
      terminationReason: ws.terminationReason ?? reason,
      deadlineAt: null,
      expiresAt: endedRecordExpiry(deps, now),
    };
  });
  if (declined) return record;
  if (changed) {
    deps.log.info('workspace ended', {
      workspaceId: id,
      tenantId: record.tenantId,
      conversationId: record.conversationId,
      status: record.status,
      terminationReason: record.terminationReason,
    });
    deps.metrics.count(record.status === 'failed' ? METRIC.WorkspaceFailed : METRIC.WorkspaceStopped);
    await deps.store.releaseBinding({
      tenantId: record.tenantId,
      conversationId: record.conversationId,
      workspaceId: id,
    });
  }
  if (record.taskRef) await deps.runtime.stop(record.taskRef, reason);
  return record;
}

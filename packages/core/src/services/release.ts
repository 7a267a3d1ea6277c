import { isTerminal } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { syncFilesToBlob } from './file-sync.js';
import { getOwnedWorkspace } from './workspace-queries.js';
import { METRIC } from '../observability/metric-names.js';

export interface ReleaseResult {
  workspace: WorkspaceRecord;
  /** False when the workspace had already ended (a repeated delete). */
  accepted: boolean;
}

/** Deletes a workspace: stopping → files synced → container stopped → stopped (reason `deleted`). */
export async function releaseWorkspace(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
): Promise<ReleaseResult> {
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  if (isTerminal(ws.status)) return { workspace: ws, accepted: false };
  return { workspace: await stopWorkspace(deps, ws.id, 'deleted'), accepted: true };
}

/**
 * The shared way down for delete and expiry: the record goes to `stopping` (conditional: a decision made on
 * stale data is re-checked, `onlyIf`), then the rest — files saved, container stopped, record ended — is
 * finished here or handed to the stop worker (deps.stopper, deployed). Answers the record as it then is:
 * ended when finished here, `stopping` when handed over.
 */
export async function stopWorkspace(
  deps: ServiceDeps,
  id: string,
  reason: 'deleted' | 'expired' | 'idle',
  opts: { onlyIf?: (ws: WorkspaceRecord) => boolean } = {},
): Promise<WorkspaceRecord> {
  const now = deps.clock.now();
  let declined = false;
  const { record: stopping, changed } = await conditionalUpdate(deps, id, (ws) => {
    declined = false;
    if (isTerminal(ws.status) || ws.status === 'stopping') return null;
    // The caller decided on what may be stale data (the sweep's index read): check again on the fresh record.
    if (opts.onlyIf && !opts.onlyIf(ws)) {
      declined = true;
      return null;
    }
    return {
      status: 'stopping',
      terminationReason: reason,
      deadlineAt: now + deps.config.stoppingDeadlineMs,
    };
  });
  if (declined || isTerminal(stopping.status)) return stopping;
  if (!deps.stopper) return finishStop(deps, id);
  // Handed over once, by the caller that moved it to `stopping`: a repeated delete does not queue it again
  // (the queue redelivers a stop that failed; the sweep ends one stuck past its deadline).
  if (changed) await deps.stopper.handOver({ workspaceId: id, tenantId: stopping.tenantId });
  return stopping;
}

/**
 * Finishes the stop of a `stopping` workspace: never loses files that can still be read (saved before the
 * container stops), then ends it with the reason given at stopping. Anything else is left as it is, so a stop
 * delivered twice (the stop worker's queue is at least once) or after the sweep ended it does nothing.
 */
export async function finishStop(deps: ServiceDeps, id: string): Promise<WorkspaceRecord> {
  const stopping = await deps.store.get(id, { now: deps.clock.now(), includeExpired: true });
  if (!stopping) throw new Error(`workspace ${id} not found`);
  if (stopping.status !== 'stopping') return stopping;
  // Only a workspace that got ready has restored the conversation's files: syncing one still provisioning
  // would overwrite the last good snapshot with an empty or half-restored tree.
  if (stopping.taskRef && stopping.endpoint && stopping.readyAt !== null) {
    // A paused container cannot answer: thaw it for the sync.
    try {
      const task = await deps.runtime.describe(stopping.taskRef);
      if (task.state === 'paused') await deps.runtime.resume(stopping.taskRef);
      if (task.state === 'running' || task.state === 'paused') await syncFilesToBlob(deps, stopping);
    } catch (e) {
      deps.log.error('file sync before stop failed', {
        workspaceId: id,
        tenantId: stopping.tenantId,
        conversationId: stopping.conversationId,
        error: String(e),
      });
      deps.metrics.count(METRIC.FileSyncFailed);
    }
  }
  return endWorkspace(deps, id, 'stopped', stopping.terminationReason ?? 'deleted');
}

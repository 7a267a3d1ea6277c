import { isTerminal } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { getOwnedWorkspace } from './workspace-queries.js';

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
 * handed to the stopper (deployed the stop worker; locally finished in process: services/stop-worker.ts).
 * Answers the record as it then is: ended when finished in process, `stopping` when queued.
 */
export async function stopWorkspace(
  deps: ServiceDeps,
  id: string,
  reason: 'deleted' | 'expired' | 'idle' | 'drained',
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
  // Handed over once, by the caller that moved it to `stopping`: a repeated delete does not queue it again
  // (the queue redelivers a stop that failed; the sweep ends one stuck past its deadline). In process (the
  // local host) the stop is finished by then and its end is the answer.
  if (!changed) return stopping;
  return (await deps.stopper.handOver({ workspaceId: id, tenantId: stopping.tenantId })) ?? stopping;
}

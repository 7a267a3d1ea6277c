import { isTerminal } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { syncFilesToBlob } from './file-sync.js';
import { getOwnedWorkspace } from './workspace-queries.js';

export interface ReleaseResult {
  workspace: WorkspaceRecord;
  /** False when the workspace had already ended (a repeated delete). */
  accepted: boolean;
}

/** Deletes a workspace: stopping → files synced → container stopped → stopped (reason `deleted`). */
export async function releaseWorkspace(deps: ServiceDeps, tenantId: string, id: string): Promise<ReleaseResult> {
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  if (isTerminal(ws.status)) return { workspace: ws, accepted: false };
  return { workspace: await stopWorkspace(deps, ws.id, 'deleted'), accepted: true };
}

/** The shared way down for delete and expiry: never loses files that can still be read. */
export async function stopWorkspace(
  deps: ServiceDeps,
  id: string,
  reason: 'deleted' | 'expired' | 'idle',
): Promise<WorkspaceRecord> {
  const now = deps.clock.now();
  const { record: stopping } = await conditionalUpdate(deps, id, (ws) =>
    isTerminal(ws.status) || ws.status === 'stopping'
      ? null
      : { status: 'stopping', terminationReason: reason, deadlineAt: now + deps.config.stoppingDeadlineMs },
  );
  if (isTerminal(stopping.status)) return stopping;
  if (stopping.taskRef && stopping.endpoint) {
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
      deps.metrics.count('FileSyncFailed');
    }
  }
  return endWorkspace(deps, id, 'stopped', reason);
}

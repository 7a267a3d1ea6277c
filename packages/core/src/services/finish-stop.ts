import type { WorkspaceRecord } from '../model/workspace.js';
import { METRIC } from '../observability/metric-names.js';
import { isPoolMember } from '../pool/pool-member.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { syncFilesToBlob } from './file-sync.js';

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
  // A pool member never held a conversation's files: there is nothing of anyone's to save.
  if (stopping.taskRef && stopping.endpoint && stopping.readyAt !== null && !isPoolMember(stopping)) {
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

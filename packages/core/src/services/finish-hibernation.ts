import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { syncFilesToBlob } from './file-sync.js';

/**
 * The stopper's half of a hibernation (services/hibernation.ts began it: the record says `paused`, its task
 * still set): the files are saved, then the task stopped, and the record keeps neither task nor endpoint. A
 * task that is no longer running was stopped after its files were saved (a redelivery): only the record is
 * left to do. Files that cannot be saved before the pause's deadline undo it — the workspace is ready as it
 * was, its task never stopped — and the error is the caller's (the queue delivers it again, finding it ready).
 */
export async function finishHibernation(deps: ServiceDeps, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  const taskRef = ws.taskRef!;
  const task = await deps.runtime.describe(taskRef);
  if (task.state === 'running') {
    try {
      if (!(await syncFilesToBlob(deps, ws)))
        throw new Error(`workspace ${ws.id} has no endpoint to save from`);
    } catch (e) {
      const now = deps.clock.now();
      await conditionalUpdate(deps, ws.id, (fresh) =>
        fresh.status === 'paused' &&
        fresh.taskRef === taskRef &&
        fresh.deadlineAt !== null &&
        now < fresh.deadlineAt
          ? { status: 'ready', deadlineAt: null }
          : null,
      );
      deps.log.error('files not saved: workspace not paused', { ...ids(ws), error: String(e) });
      throw e;
    }
  }
  await deps.runtime.stop(taskRef, 'hibernated');
  const { record, changed } = await conditionalUpdate(deps, ws.id, (fresh) =>
    fresh.status === 'paused' && fresh.taskRef === taskRef
      ? { taskRef: null, endpoint: null, agentId: null, deadlineAt: null }
      : null,
  );
  if (changed) deps.log.info('workspace paused (hibernated)', { ...ids(ws), taskRef });
  return record;
}

const ids = (ws: WorkspaceRecord) => ({
  workspaceId: ws.id,
  tenantId: ws.tenantId,
  conversationId: ws.conversationId,
});

import type { WorkspaceRecord } from '../model/workspace.js';
import type { Stopper } from '../ports/stopper.js';
import type { ServiceDeps } from './deps.js';
import { finishHibernation } from './finish-hibernation.js';
import { finishStop } from './finish-stop.js';

/**
 * What the stopper finishes for a workspace handed over to it, read from the record itself (so a message
 * delivered twice, or after the work was done, does nothing): a `stopping` workspace's stop, a hibernating one's
 * save and stop (`paused` with its task still set, where the runtime cannot freeze), nothing else.
 */
export async function finishHandOver(deps: ServiceDeps, workspaceId: string): Promise<WorkspaceRecord> {
  const ws = await deps.store.get(workspaceId, { now: deps.clock.now(), includeExpired: true });
  if (!ws) throw new Error(`workspace ${workspaceId} not found`);
  if (ws.status === 'stopping') return finishStop(deps, workspaceId);
  if (ws.status === 'paused' && ws.taskRef !== null && !deps.runtime.freezes)
    return finishHibernation(deps, ws);
  return ws;
}

/**
 * The stopper of a process that is its own stop worker (the local host, tests): the hand-over is finished before
 * it answers, and its answer is the workspace as it then is. Deployed, an SQS queue and the stop worker.
 */
export const inProcessStopper = (deps: () => ServiceDeps): Stopper => ({
  handOver: (stop) => finishHandOver(deps(), stop.workspaceId),
});

import { ApiError } from '../errors.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { sleep, type ServiceDeps } from './deps.js';

/**
 * Waits while a workspace is provisioning. Answers the record once it is ready (or anything else) or the
 * wait budget is spent; a failed provisioning becomes `provision_failed` so `wait: true` callers see why.
 */
export async function waitUntilSettled(deps: ServiceDeps, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  const until = deps.clock.now() + deps.config.waitForReadyMs;
  let current = ws;
  while (current.status === 'provisioning' && deps.clock.now() < until) {
    await sleep(deps.config.readyPollIntervalMs);
    current = (await deps.store.get(ws.id, { now: deps.clock.now(), includeExpired: true })) ?? current;
  }
  // Any failure while the caller waited (a provisioning error, or the container dying before ready) is an
  // answer of its own: a create must never report success with a failed workspace.
  if (current.status === 'failed' && ws.status === 'provisioning') {
    throw new ApiError(
      'provision_failed',
      `workspace ${current.id} could not be started (${current.terminationReason}); retry the request`,
      { retryAfterSeconds: 1 },
    );
  }
  return current;
}

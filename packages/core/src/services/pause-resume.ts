import { ApiError } from '../errors.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { hibernateWorkspace, wakeWorkspace } from './hibernation.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/**
 * Pauses a ready workspace; idempotent. Where the runtime freezes (Docker) every process stops and memory is
 * kept; where it cannot (ECS) the workspace hibernates: files saved, task stopped (services/hibernation.ts).
 */
export async function pauseWorkspace(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
): Promise<WorkspaceRecord> {
  if (!deps.runtime.freezes) return hibernateWorkspace(deps, tenantId, id);
  return switchPause(deps, tenantId, id, 'ready', 'paused');
}

/**
 * Resumes a paused workspace; idempotent. A frozen one is thawed; a hibernated one starts again and restores its
 * files, answered once ready or, past `waitForReadyMs` or with `wait: false`, while still `provisioning`.
 */
export async function resumeWorkspace(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  opts: { wait?: boolean } = {},
): Promise<WorkspaceRecord> {
  if (!deps.runtime.freezes) return wakeWorkspace(deps, tenantId, id, opts);
  return switchPause(deps, tenantId, id, 'paused', 'ready');
}

async function switchPause(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  from: 'ready' | 'paused',
  to: 'ready' | 'paused',
): Promise<WorkspaceRecord> {
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  if (ws.status === to) return ws;
  if (ws.status !== from || !ws.taskRef) {
    throw new ApiError(
      'conflict',
      `workspace ${id} is ${ws.status}; only a ${from} workspace can become ${to}`,
    );
  }
  // The container moves first: a record that says paused must never front a running container or back.
  if (to === 'paused') await deps.runtime.pause(ws.taskRef);
  else await deps.runtime.resume(ws.taskRef);
  const now = deps.clock.now();
  const { record } = await conditionalUpdate(deps, id, (fresh) =>
    fresh.status === from ? { status: to, lastActiveAt: now } : null,
  );
  deps.log.info(`workspace ${to}`, { workspaceId: id, tenantId, conversationId: ws.conversationId });
  return record;
}

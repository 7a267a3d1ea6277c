import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';

/**
 * The workspace a task serves, from the workspace id the task was started for (ECS startedBy and tags, Docker
 * labels): that workspace, or the one that took the task over when it was a pool member (`adoptedBy`,
 * pool/adopt-member.ts). Callers still check that the record holds this very task.
 */
export async function workspaceOfTask(
  deps: Pick<ServiceDeps, 'store'>,
  startedFor: string,
  now: number,
): Promise<WorkspaceRecord | undefined> {
  const ws = await deps.store.get(startedFor, { now, includeExpired: true });
  return ws?.adoptedBy ? deps.store.get(ws.adoptedBy, { now, includeExpired: true }) : ws;
}

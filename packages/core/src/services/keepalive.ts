import { checkTtl } from '../config.js';
import { BerthError } from '../errors.js';
import { isLive } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/** Extends the lease of a live workspace by `ttlSeconds` (default: the workspace's own ttl) from now. */
export async function keepalive(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  ttlSeconds?: number,
): Promise<WorkspaceRecord> {
  checkTtl(deps.config, ttlSeconds);
  await getOwnedWorkspace(deps, tenantId, id);
  const now = deps.clock.now();
  const { record } = await conditionalUpdate(deps, id, (ws) => {
    if (!isLive(ws, now)) throw new BerthError('workspace_ended', `workspace ${id} is ${ws.status}`);
    const ttl = ttlSeconds ?? ws.ttlSeconds;
    return { expiresAt: now + ttl * 1000, lastActiveAt: now, ttlSeconds: ttl };
  });
  return record;
}

/**
 * Marks activity (exec, files, streams) as a keepalive, at most once per `activityWriteIntervalMs`, so busy
 * workspaces do not expire and hot paths do not pay a write per call. Best effort: never fails the caller.
 */
export async function touchActivity(deps: ServiceDeps, ws: WorkspaceRecord): Promise<void> {
  const now = deps.clock.now();
  if (now - ws.lastActiveAt < deps.config.activityWriteIntervalMs) return;
  try {
    await conditionalUpdate(deps, ws.id, (fresh) =>
      isLive(fresh, now) && now - fresh.lastActiveAt >= deps.config.activityWriteIntervalMs
        ? { lastActiveAt: now, expiresAt: Math.max(fresh.expiresAt, now + fresh.ttlSeconds * 1000) }
        : null,
    );
  } catch (e) {
    deps.log.warn('activity write failed', { workspaceId: ws.id, error: String(e) });
  }
}

import { EGRESS_TOKEN_MAX_LIFETIME_SECONDS } from '@berth/protocol/agent-token';
import { checkTtl } from '../config.js';
import { ApiError } from '../errors.js';
import { extendedLease, leaseEnd } from '../model/lease.js';
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
    if (!isLive(ws, now)) throw new ApiError('workspace_ended', `workspace ${id} is ${ws.status}`);
    const ttl = ttlSeconds ?? ws.ttlSeconds;
    return { expiresAt: leaseEnd(deps.config, now, ttl), lastActiveAt: now, ttlSeconds: ttl };
  });
  await renewProxyCredential(deps, record);
  return record;
}

/**
 * Deployed, a keepalive also renews the ready workspace's proxy credential (it lives a day), and so does the
 * first activity write in each half-day of the workspace's life (see {@link renewalDue}). Best effort: the lease
 * is extended either way, and the credential held now stays good for hours.
 */
async function renewProxyCredential(deps: ServiceDeps, ws: WorkspaceRecord): Promise<void> {
  if (ws.status !== 'ready' || !deps.egress?.admit) return;
  try {
    await deps.egress.admit(ws);
  } catch (e) {
    deps.log.warn('proxy credential not renewed', { workspaceId: ws.id, error: String(e) });
  }
}

/**
 * Marks activity the control plane itself served (exec, files, streams it relays, runs it follows) as a
 * keepalive, at most once per `activityWriteIntervalMs`, so busy workspaces do not expire and hot paths do not
 * pay a write per call. `ws` is the record in hand: when it shows a recent write, nothing is read or written.
 * Best effort: never fails the caller.
 */
export async function touchActivity(deps: ServiceDeps, ws: WorkspaceRecord): Promise<void> {
  if (deps.clock.now() - ws.lastActiveAt < deps.config.activityWriteIntervalMs) return;
  await recordActivity(deps, ws.id);
}

/** {@link touchActivity} by id, judged on the stored record only (heartbeats of long calls). */
export async function recordActivity(deps: ServiceDeps, id: string): Promise<void> {
  const now = deps.clock.now();
  let before = now;
  try {
    const { record, changed } = await conditionalUpdate(deps, id, (fresh) => {
      before = fresh.lastActiveAt;
      return isLive(fresh, now) && now - fresh.lastActiveAt >= deps.config.activityWriteIntervalMs
        ? {
            lastActiveAt: now,
            expiresAt: extendedLease(deps.config, now, fresh.expiresAt, fresh.ttlSeconds),
          }
        : null;
    });
    if (changed && renewalDue(record.readyAt, before, now)) await renewProxyCredential(deps, record);
  } catch (e) {
    deps.log.warn('activity write failed', { workspaceId: id, error: String(e) });
  }
}

/** Half a proxy credential's life: the credential handed over at readiness is renewed within each such period. */
export const CREDENTIAL_RENEWAL_MS = (EGRESS_TOKEN_MAX_LIFETIME_SECONDS * 1000) / 2;

/**
 * Whether an activity write at `now` is the first in a new half-day of the workspace's life (counted from
 * `readyAt`, where it was admitted), the previous write being at `before`. A workspace kept alive by activity
 * alone then has its credential renewed about every 12 hours, with nothing stored; one with no activity for
 * half a day gets it at its next activity (or keepalive).
 */
export function renewalDue(readyAt: number | null, before: number, now: number): boolean {
  if (readyAt === null) return false;
  const period = (t: number) => Math.floor((t - readyAt) / CREDENTIAL_RENEWAL_MS);
  return period(now) > period(before);
}

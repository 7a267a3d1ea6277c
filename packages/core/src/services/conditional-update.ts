import { VersionConflictError, notFound } from '../errors.js';
import type { WorkspaceChanges, WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';

/**
 * Read-decide-write with optimistic concurrency: `decide` sees the freshest record and returns the
 * changes to make, or null to leave it alone. A lost race re-reads and decides again, so no update is
 * ever lost and no decision is made on stale state. `from`, the record as this caller itself just wrote it,
 * saves the first read (if it is stale after all, the write's condition fails and the loop reads afresh).
 * Only a write is tried on it: a decision to leave the record alone is taken on a stored one.
 */
export async function conditionalUpdate(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  id: string,
  decide: (ws: WorkspaceRecord) => WorkspaceChanges | null,
  opts: { attempts?: number; from?: WorkspaceRecord } = {},
): Promise<{ record: WorkspaceRecord; changed: boolean }> {
  for (let i = 0; i < (opts.attempts ?? 8); i++) {
    const ws =
      i === 0 && opts.from
        ? opts.from
        : await deps.store.get(id, { now: deps.clock.now(), includeExpired: true });
    if (!ws) throw notFound();
    const changes = decide(ws);
    if (!changes && ws === opts.from) continue; // "nothing to do" is decided on the stored record only
    if (!changes) return { record: ws, changed: false };
    try {
      return { record: await deps.store.update(id, ws.version, changes), changed: true };
    } catch (e) {
      if (!(e instanceof VersionConflictError)) throw e;
    }
  }
  throw new VersionConflictError(id);
}

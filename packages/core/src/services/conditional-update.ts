import { VersionConflictError, notFound } from '../errors.js';
import type { WorkspaceChanges, WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';

/**
 * Read-decide-write with optimistic concurrency: `decide` sees the freshest record and returns the
 * changes to make, or null to leave it alone. A lost race re-reads and decides again, so no update is
 * ever lost and no decision is made on stale state.
 */
export async function conditionalUpdate(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  id: string,
  decide: (ws: WorkspaceRecord) => WorkspaceChanges | null,
  attempts = 8,
): Promise<{ record: WorkspaceRecord; changed: boolean }> {
  for (let i = 0; i < attempts; i++) {
    const ws = await deps.store.get(id, { now: deps.clock.now(), includeExpired: true });
    if (!ws) throw notFound();
    const changes = decide(ws);
    if (!changes) return { record: ws, changed: false };
    try {
      return { record: await deps.store.update(id, ws.version, changes), changed: true };
    } catch (e) {
      if (!(e instanceof VersionConflictError)) throw e;
    }
  }
  throw new VersionConflictError(id);
}

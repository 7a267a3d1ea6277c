import { agentIdOf, type WorkspaceRecord } from '../model/workspace.js';
import { RESTORE_STEP_TIMEOUT_SECONDS } from '../provisioning/definition.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { METRIC } from '../observability/metric-names.js';

// A static import on purpose: esbuild emits a chunk for every import() it parses, even in code tree-shaking
// drops, and the bundle budget counts every chunk; the buffered API function, which saves no files (its stops
// and pauses go to the stop worker), then carried the whole snapshot codec for nothing.
import { restoreSnapshot, saveSnapshot } from './snapshots.js';

/** Saves the workspace's files to durable storage, keyed by conversation, so a successor restores them. */
export async function syncFilesToBlob(deps: ServiceDeps, ws: WorkspaceRecord): Promise<boolean> {
  if (!ws.endpoint) return false;
  const started = deps.clock.now();
  const tar = await deps.workspaceAgent.archiveOut(
    { endpoint: ws.endpoint, token: deps.agentTokens.tokenFor(agentIdOf(ws)) },
    '.',
  );
  await saveSnapshot(deps, ws, tar);
  deps.metrics.duration(METRIC.FileSyncLatency, deps.clock.now() - started);
  return true;
}

/**
 * Restores the conversation's last snapshot into a new workspace, checked against its manifest; false if
 * there is none. Throws RestoreIncomplete when what was restored is not what was saved.
 */
export async function restoreFilesFromBlob(deps: ServiceDeps, ws: WorkspaceRecord): Promise<boolean> {
  if (!ws.endpoint) return false;
  const target = { endpoint: ws.endpoint, token: deps.agentTokens.tokenFor(agentIdOf(ws)) };
  return restoreSnapshot(deps, ws, target, (manifest) =>
    extendDeadlineForRestore(deps, ws.id, manifest.tarBytes),
  );
}

/**
 * A large snapshot takes longer to restore than the provisioning deadline allows for a plain start (5 GiB at
 * the slowest rate counted on is minutes): move the deadline out by the transfer's worst-case time, so the
 * sweep does not fail a restore that is merely big. Never shortens it; bounded by the step's own timeout.
 */
export async function extendDeadlineForRestore(
  deps: ServiceDeps,
  workspaceId: string,
  bytes: number,
): Promise<void> {
  const { deadlineMs, restoreBytesPerSecond } = deps.config.provisioning;
  const needed = Math.min(
    RESTORE_STEP_TIMEOUT_SECONDS * 1000,
    Math.ceil((bytes / restoreBytesPerSecond) * 1000) + deadlineMs,
  );
  const until = deps.clock.now() + needed;
  await conditionalUpdate(deps, workspaceId, (fresh) =>
    fresh.status === 'provisioning' && (fresh.deadlineAt ?? 0) < until ? { deadlineAt: until } : null,
  );
}

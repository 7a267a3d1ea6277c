import { snapshotKey } from '../ports/blob-store.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { METRIC } from '../observability/metric-names.js';

/** Saves the workspace's files to durable storage, keyed by conversation, so a successor restores them. */
export async function syncFilesToBlob(deps: ServiceDeps, ws: WorkspaceRecord): Promise<boolean> {
  if (!ws.endpoint) return false;
  const started = deps.clock.now();
  const tar = await deps.agent.archiveOut({ endpoint: ws.endpoint, token: ws.agentToken }, '.');
  await deps.blobs.put(snapshotKey(ws.tenantId, ws.conversationId), tar);
  deps.metrics.duration(METRIC.FileSyncLatency, deps.clock.now() - started);
  deps.log.info('files synced', {
    workspaceId: ws.id,
    tenantId: ws.tenantId,
    conversationId: ws.conversationId,
    bytes: tar.length,
  });
  return true;
}

/** Restores the conversation's last snapshot into a new workspace; false if there is none. */
export async function restoreFilesFromBlob(deps: ServiceDeps, ws: WorkspaceRecord): Promise<boolean> {
  if (!ws.endpoint) return false;
  const tar = await deps.blobs.get(snapshotKey(ws.tenantId, ws.conversationId));
  if (!tar || tar.length === 0) return false;
  await deps.agent.archiveIn({ endpoint: ws.endpoint, token: ws.agentToken }, '.', tar);
  deps.log.info('files restored', { workspaceId: ws.id, tenantId: ws.tenantId, bytes: tar.length });
  return true;
}

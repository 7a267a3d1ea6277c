import { randomBytes } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import {
  MAX_MANIFEST_BYTES,
  compareManifests,
  parseManifest,
  summarizeComparison,
  type Manifest,
} from '@berth/protocol';
import { DigestCheck, ManifestTap } from '@berth/protocol/snapshot-stream';
import type { WorkspaceRecord } from '../model/workspace.js';
import { WorkspaceAgentError, type WorkspaceAgentTarget } from '../ports/workspace-agent-client.js';
import {
  BlobTooLarge,
  snapshotKey,
  snapshotManifestKey,
  snapshotPrefix,
  snapshotTarKey,
  type BlobStore,
} from '../ports/blob-store.js';
import { METRIC } from '../observability/metric-names.js';
import type { ServiceDeps } from './deps.js';

/**
 * A conversation's file snapshot (ARCHITECTURE.md §5) is a tar under a key of its own plus `manifest.json`,
 * which names that tar and lists every member with its SHA-256. A save streams the tar to a fresh key while
 * the manifest is built from the passing bytes, then writes the manifest (the commit point), then deletes the
 * tar the previous manifest named: a crash at any moment leaves the previous snapshot whole. A restore streams
 * the tar back, checks it against the manifest's digest as it flows, then compares the restored tree (the
 * agent's manifest of it) with the snapshot's, so a partial restore is reported, never handed on silently.
 */
export interface SnapshotManifest extends Manifest {
  /** The tar's key, relative to the conversation's prefix. */
  tar: string;
  savedAt: number;
}

/** The restored tree does not match the snapshot (tampered or missing blob, refused archive, disk full). */
export class RestoreIncomplete extends Error {
  override name = 'RestoreIncomplete';
}

/** The stored manifest is not one (corrupted or tampered with). */
export class InvalidSnapshotManifest extends Error {
  override name = 'InvalidSnapshotManifest';
}

type SnapshotDeps = Pick<ServiceDeps, 'blobs' | 'clock' | 'log' | 'metrics'>;
type Owner = Pick<WorkspaceRecord, 'id' | 'tenantId' | 'conversationId'>;

const ids = (ws: Owner) => ({ workspaceId: ws.id, tenantId: ws.tenantId, conversationId: ws.conversationId });

/** The conversation's current snapshot manifest, or undefined if none was committed. */
export async function readSnapshotManifest(
  blobs: BlobStore,
  tenantId: string,
  conversationId: string,
): Promise<SnapshotManifest | undefined> {
  const raw = await blobs.get(snapshotManifestKey(tenantId, conversationId), MAX_MANIFEST_BYTES);
  if (!raw) return undefined;
  let m: SnapshotManifest;
  try {
    m = parseManifest(raw.toString('utf8')) as SnapshotManifest;
  } catch (e) {
    throw new InvalidSnapshotManifest((e as Error).message);
  }
  if (typeof m.tar !== 'string' || !/^snapshot-[A-Za-z0-9-]+\.tar$/.test(m.tar))
    throw new InvalidSnapshotManifest('snapshot manifest names no valid tar');
  return m;
}

/**
 * Saves a tar stream (the agent's archive, or a salvaged files dir) as the conversation's snapshot. Rejects,
 * leaving the previous snapshot in place, if the stream fails or is not a complete tar.
 */
export async function saveSnapshot(deps: SnapshotDeps, ws: Owner, tar: Readable): Promise<SnapshotManifest> {
  const started = deps.clock.now();
  const prefix = snapshotPrefix(ws.tenantId, ws.conversationId);
  const key = snapshotTarKey(
    ws.tenantId,
    ws.conversationId,
    `${started.toString(36)}-${randomBytes(6).toString('hex')}`,
  );
  const name = key.slice(prefix.length);
  const tap = new ManifestTap();
  try {
    await deps.blobs.putStream(
      key,
      pipeline(tar, tap, () => {}),
    );
  } catch (e) {
    tar.destroy();
    await deps.blobs.delete(key).catch(() => {});
    throw e;
  }
  const manifest: SnapshotManifest = { ...tap.manifest, tar: name, savedAt: started };
  let previous: SnapshotManifest | undefined;
  try {
    previous = await readSnapshotManifest(deps.blobs, ws.tenantId, ws.conversationId).catch(() => undefined);
    if (previous && previous.savedAt > started) {
      // A save that started later committed first (two saves of one conversation overlapped): it holds the
      // newer files, so this one must not replace it.
      await deps.blobs.delete(key);
      deps.log.info('snapshot superseded by a newer save', { ...ids(ws), bytes: manifest.tarBytes });
      return previous;
    }
    await deps.blobs.put(
      snapshotManifestKey(ws.tenantId, ws.conversationId),
      Buffer.from(JSON.stringify(manifest)),
    );
  } catch (e) {
    await deps.blobs.delete(key).catch(() => {});
    throw e;
  }
  await collectGarbage(deps, ws, name, previous);
  const ms = deps.clock.now() - started;
  deps.metrics.count(METRIC.SnapshotBytes, manifest.tarBytes);
  deps.log.info('snapshot saved', {
    ...ids(ws),
    bytes: manifest.tarBytes,
    files: manifest.files,
    ms,
  });
  return manifest;
}

/** Tars of saves that never committed (the process died mid-save) are deleted once this old. */
const ABANDONED_SAVE_MS = 60 * 60 * 1000;

/**
 * After a commit: deletes the tar the previous manifest named, a pre-manifest `snapshot.tar`, and tars of
 * saves that never committed. A tar younger than ABANDONED_SAVE_MS may belong to a save still running.
 */
async function collectGarbage(deps: SnapshotDeps, ws: Owner, committed: string, previous?: SnapshotManifest) {
  const prefix = snapshotPrefix(ws.tenantId, ws.conversationId);
  const garbage = new Set([snapshotKey(ws.tenantId, ws.conversationId)]);
  if (previous && previous.tar !== committed) garbage.add(prefix + previous.tar);
  const listed = await deps.blobs.list(prefix).catch(() => [] as string[]);
  for (const key of listed) {
    const started = /^snapshot-([0-9a-z]+)-[0-9a-f]+\.tar$/.exec(key.slice(prefix.length))?.[1];
    if (started === undefined || key === prefix + committed) continue;
    if (deps.clock.now() - parseInt(started, 36) > ABANDONED_SAVE_MS) garbage.add(key);
  }
  for (const key of garbage)
    await deps.blobs
      .delete(key)
      .catch((e: unknown) =>
        deps.log.warn('old snapshot not deleted', { ...ids(ws), key, error: (e as Error).message }),
      );
}

/**
 * Restores the conversation's snapshot into a workspace through its agent; false if there is none. Throws
 * RestoreIncomplete when the tar does not match its manifest, the agent refuses it, or the restored tree
 * differs from the snapshot; other errors (agent or blob store unreachable) are worth a retry.
 */
export async function restoreSnapshot(
  deps: SnapshotDeps & Pick<ServiceDeps, 'workspaceAgent'>,
  ws: Owner,
  target: WorkspaceAgentTarget,
  /** Told the snapshot's size before the transfer starts (to give a large restore the time it needs). */
  beforeTransfer?: (manifest: SnapshotManifest) => Promise<void>,
) {
  const started = deps.clock.now();
  const manifest = await readSnapshotManifest(deps.blobs, ws.tenantId, ws.conversationId).catch(
    (e: unknown) => {
      // A blob store error is worth a retry; a manifest that is not one, or too large to read, is not.
      if (!(e instanceof InvalidSnapshotManifest || e instanceof BlobTooLarge)) throw e;
      throw incomplete(deps, ws, `snapshot manifest unreadable: ${e.message}`);
    },
  );
  if (!manifest) return restoreLegacy(deps, ws, target);
  await beforeTransfer?.(manifest);
  const body = await deps.blobs.getStream(snapshotPrefix(ws.tenantId, ws.conversationId) + manifest.tar);
  if (!body) throw incomplete(deps, ws, `snapshot tar ${manifest.tar} is missing`);
  const check = new DigestCheck(manifest.tarBytes, manifest.tarSha256);
  try {
    await deps.workspaceAgent.archiveIn(
      target,
      '.',
      pipeline(body, check, () => {}),
    );
  } catch (e) {
    if (check.failure)
      throw incomplete(deps, ws, `snapshot tar does not match its manifest: ${check.failure}`);
    // The agent refused the archive or could not extract it all (a bad member, a full disk): no retry helps.
    if (e instanceof WorkspaceAgentError && ((e.status >= 400 && e.status < 500) || e.code === 'no_space'))
      throw incomplete(deps, ws, `the agent could not extract the snapshot: ${e.message}`);
    throw e;
  } finally {
    body.destroy();
  }
  const comparison = compareManifests(manifest, await deps.workspaceAgent.manifest(target, '.'));
  if (!comparison.complete)
    throw incomplete(deps, ws, `restored files differ from the snapshot: ${summarizeComparison(comparison)}`);
  deps.log.info('snapshot restored', {
    ...ids(ws),
    bytes: manifest.tarBytes,
    files: manifest.files,
    ms: deps.clock.now() - started,
  });
  return true;
}

/** A snapshot saved before manifests: one `snapshot.tar`, restored as it is, unchecked. */
async function restoreLegacy(
  deps: SnapshotDeps & Pick<ServiceDeps, 'workspaceAgent'>,
  ws: Owner,
  target: WorkspaceAgentTarget,
) {
  const body = await deps.blobs.getStream(snapshotKey(ws.tenantId, ws.conversationId));
  if (!body) return false;
  deps.log.warn('restoring a legacy snapshot without manifest: it cannot be checked', ids(ws));
  try {
    await deps.workspaceAgent.archiveIn(target, '.', body);
  } finally {
    body.destroy();
  }
  return true;
}

function incomplete(deps: SnapshotDeps, ws: Owner, why: string): RestoreIncomplete {
  deps.metrics.count(METRIC.RestoreIncomplete);
  deps.log.error('snapshot restore incomplete', { ...ids(ws), why });
  return new RestoreIncomplete(why);
}

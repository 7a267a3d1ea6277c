import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import {
  FILE_TRANSFER_LIMITS,
  UPLOAD_ID,
  type CreateDownloadRequest,
  type CreateUploadRequest,
  type FileDownload,
  type FileUpload,
} from '@berth/protocol';
import { ApiError, invalidPath, notFound } from '../errors.js';
import { METRIC } from '../observability/metric-names.js';
import { TarSizeMismatch, oneFileTar } from '../one-file-tar.js';
import { keySegment, type BlobStore, type PresignedRequest } from '../ports/blob-store.js';
import { toWorkspaceRelative } from '../workspace-path.js';
import type { ServiceDeps } from './deps.js';
import { ensureReady } from './auto-resume.js';
import { callWorkspaceAgent, readyEndpoint } from './workspace-agent-target.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/**
 * Large files (API.md "Large files"): the client moves the bytes to or from object storage through a
 * presigned URL, never through the API, and the control plane moves them between storage and the workspace,
 * streamed (bounded memory whatever the size). Staged objects live under TRANSFER_PREFIX, apart from the
 * snapshots (`tenants/...`), scoped by tenant and workspace; a bucket lifecycle rule on the prefix removes
 * what nobody completed or fetched.
 */
export const TRANSFER_PREFIX = 'transfers/';

const workspaceTransfers = (tenantId: string, workspaceId: string) =>
  `${TRANSFER_PREFIX}tenants/${keySegment(tenantId)}/workspaces/${keySegment(workspaceId)}/`;

/** An upload's staged bytes and its ticket (where they go, how many there are). */
export const uploadKeys = (tenantId: string, workspaceId: string, uploadId: string) => {
  const base = `${workspaceTransfers(tenantId, workspaceId)}uploads/${keySegment(uploadId)}/`;
  return { data: `${base}data`, ticket: `${base}ticket.json` };
};

export const downloadKey = (tenantId: string, workspaceId: string, downloadId: string) =>
  `${workspaceTransfers(tenantId, workspaceId)}downloads/${keySegment(downloadId)}`;

interface UploadTicket {
  /** Relative to the workspace root. */
  path: string;
  size: number;
}

const MAX_TICKET_BYTES = 64 * 1024;

/** `POST /v1/workspaces/{id}/files/uploads`: a URL to PUT exactly `size` bytes to; nothing moves yet. */
export async function createFileUpload(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  req: CreateUploadRequest,
): Promise<FileUpload> {
  const presign = presigner(deps.blobs);
  readyEndpoint(await ensureReady(deps, await getOwnedWorkspace(deps, tenantId, id)));
  const path = fileTarget(deps, req.path);
  const uploadId = `upl_${randomBytes(16).toString('hex')}`;
  const keys = uploadKeys(tenantId, id, uploadId);
  const ticket: UploadTicket = { path, size: req.size };
  await deps.blobs.put(keys.ticket, Buffer.from(JSON.stringify(ticket)));
  const signed = await presign.put(keys.data, {
    expiresInSeconds: FILE_TRANSFER_LIMITS.urlExpirySeconds,
    contentLength: req.size,
  });
  return { uploadId, method: 'PUT', ...answer(deps, signed), size: req.size };
}

/**
 * `POST .../files/uploads/{uploadId}/complete`: streams the staged bytes into the workspace (the agent's
 * streamed archive write, as a one-file tar), then forgets the upload. Until it succeeds it may be retried;
 * an unknown or completed upload is 404, one whose bytes were not PUT yet 409.
 */
export async function completeFileUpload(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  uploadId: string,
): Promise<void> {
  if (!UPLOAD_ID.test(uploadId)) throw notFound('upload');
  await getOwnedWorkspace(deps, tenantId, id);
  const keys = uploadKeys(tenantId, id, uploadId);
  const ticket = await readTicket(deps.blobs, keys.ticket);
  const started = deps.clock.now();
  await callWorkspaceAgent(deps, tenantId, id, async (target) => {
    const staged = await deps.blobs.getStream(keys.data);
    if (!staged) {
      throw new ApiError('conflict', `upload ${uploadId} has no content yet: PUT the file to its url first`);
    }
    const tar = oneFileTar(posix.basename(ticket.path), ticket.size, staged);
    try {
      await deps.workspaceAgent.archiveIn(target, posix.dirname(ticket.path), tar);
    } catch (e) {
      tar.destroy(); // the agent may refuse before reading it all: let go of the staged object
      const mismatch = tar.errored instanceof TarSizeMismatch ? tar.errored : e;
      if (mismatch instanceof TarSizeMismatch) {
        throw new ApiError('unprocessable', `the uploaded ${mismatch.message}; upload it again`);
      }
      throw e;
    }
  });
  // The ticket first: without it the upload is gone (404), whatever happens to the bytes.
  await deps.blobs.delete(keys.ticket);
  await deps.blobs.delete(keys.data);
  deps.metrics.count(METRIC.FileTransferBytes, ticket.size);
  deps.metrics.duration(METRIC.FileTransferLatency, deps.clock.now() - started);
}

/** `POST /v1/workspaces/{id}/files/downloads`: stages the file in object storage and answers a URL to GET it. */
export async function createFileDownload(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  req: CreateDownloadRequest,
): Promise<FileDownload> {
  const presign = presigner(deps.blobs);
  const path = toWorkspaceRelative(deps.config.workspaceRoot, req.path);
  const key = downloadKey(tenantId, id, `dl_${randomBytes(16).toString('hex')}`);
  const started = deps.clock.now();
  const size = await callWorkspaceAgent(deps, tenantId, id, async (target) => {
    const file = await deps.workspaceAgent.readFile(target, path);
    if (file.kind === 'dir') throw invalidPath(`${req.path} is a directory`);
    await deps.blobs.putStream(key, file.body);
    return file.size;
  });
  const signed = await presign.get(key, { expiresInSeconds: FILE_TRANSFER_LIMITS.urlExpirySeconds });
  deps.metrics.count(METRIC.FileTransferBytes, size);
  deps.metrics.duration(METRIC.FileTransferLatency, deps.clock.now() - started);
  return { method: 'GET', ...answer(deps, signed), size };
}

/** The store's presigning, or 422 where it has none (the local host's directory store). */
function presigner(blobs: BlobStore) {
  if (!blobs.presignPut || !blobs.presignGet) {
    throw new ApiError(
      'unprocessable',
      'presigned file transfers need S3-compatible object storage, which this deployment does not have; ' +
        'use PUT/GET /v1/workspaces/{id}/files (up to 6 MiB)',
    );
  }
  return {
    put: blobs.presignPut.bind(blobs),
    get: blobs.presignGet.bind(blobs),
  };
}

/** A file's path under the root; the root itself is no file. */
function fileTarget(deps: ServiceDeps, path: string): string {
  const rel = toWorkspaceRelative(deps.config.workspaceRoot, path);
  if (rel === '.') throw invalidPath('the workspace root itself is not a file');
  return rel;
}

async function readTicket(blobs: BlobStore, key: string): Promise<UploadTicket> {
  const raw = await blobs.get(key, MAX_TICKET_BYTES);
  if (!raw) throw notFound('upload');
  return JSON.parse(raw.toString('utf8')) as UploadTicket;
}

const answer = (deps: ServiceDeps, signed: PresignedRequest) => ({
  url: signed.url,
  headers: signed.headers,
  expiresAt: new Date(deps.clock.now() + FILE_TRANSFER_LIMITS.urlExpirySeconds * 1000).toISOString(),
});

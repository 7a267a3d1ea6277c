import type { Readable } from 'node:stream';

/** Durable object storage for workspace file snapshots (S3, or a directory on a laptop). */
export interface BlobStore {
  put(key: string, body: Buffer): Promise<void>;
  /**
   * A small object's bytes, or undefined if there is none. Rejects (BlobTooLarge) past `maxBytes`: large
   * objects are read with `getStream`.
   */
  get(key: string, maxBytes: number): Promise<Buffer | undefined>;
  /**
   * Writes an object of any size from a stream, without holding it in memory (S3: multipart upload). The
   * object appears whole or not at all; rejects if `body` fails.
   */
  putStream(key: string, body: Readable): Promise<void>;
  /** The object's bytes as a stream, or undefined if there is none. */
  getStream(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix. */
  list(prefix: string): Promise<string[]>;
  ping(): Promise<void>;
  /**
   * A URL that lets a client PUT exactly `contentLength` bytes to `key` without credentials, for
   * `expiresInSeconds`. Absent where the store cannot hand out URLs (a directory on a laptop): presigned
   * transfers then answer 422.
   */
  presignPut?(
    key: string,
    opts: { expiresInSeconds: number; contentLength: number },
  ): Promise<PresignedRequest>;
  /** A URL that lets a client GET `key` without credentials, for `expiresInSeconds`. Absent as `presignPut`. */
  presignGet?(key: string, opts: { expiresInSeconds: number }): Promise<PresignedRequest>;
}

/** A presigned request: the URL, and the headers it was signed with that the client must send (Host aside). */
export interface PresignedRequest {
  url: string;
  headers: Record<string, string>;
}

/** An object is larger than the caller's limit for reading it whole. */
export class BlobTooLarge extends Error {
  override name = 'BlobTooLarge';
  constructor(key: string, maxBytes: number) {
    super(`blob ${key} exceeds ${maxBytes} bytes`);
  }
}

/**
 * One key segment from an id: ids made of `[A-Za-z0-9_-]` and dots (but not `.` or `..`) stay as they are,
 * so keys of existing snapshots do not move; anything else is percent-encoded (`/` included), and `.`/`..`
 * become `%2E`/`%2E%2E`, so no id climbs out of its prefix or collides with another.
 */
export function keySegment(id: string): string {
  if (id === '.' || id === '..') return id.replace(/\./g, '%2E');
  return encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Where a conversation's snapshots live (ARCHITECTURE.md §5). Keyed by conversation so a new workspace restores them. */
export const snapshotPrefix = (tenantId: string, conversationId: string) =>
  `tenants/${keySegment(tenantId)}/workspaces/${keySegment(conversationId)}/`;

/** The snapshot's manifest: written last, it names the tar that holds the files (the commit point of a save). */
export const snapshotManifestKey = (tenantId: string, conversationId: string) =>
  `${snapshotPrefix(tenantId, conversationId)}manifest.json`;

/** A fresh key for one save's tar, under the conversation's prefix. */
export const snapshotTarKey = (tenantId: string, conversationId: string, saveId: string) =>
  `${snapshotPrefix(tenantId, conversationId)}snapshot-${saveId}.tar`;

/** Where snapshots were kept before manifests (one tar, overwritten in place); still restored. */
export const snapshotKey = (tenantId: string, conversationId: string) =>
  `${snapshotPrefix(tenantId, conversationId)}snapshot.tar`;

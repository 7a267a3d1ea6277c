/** Durable object storage for workspace file snapshots (S3, or a directory on a laptop). */
export interface BlobStore {
  put(key: string, body: Buffer): Promise<void>;
  /** The object's bytes, or undefined if there is none. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix. */
  list(prefix: string): Promise<string[]>;
  ping(): Promise<void>;
}

/** Where a conversation's files live (ARCHITECTURE.md §5). Keyed by conversation so a new workspace restores them. */
export const snapshotKey = (tenantId: string, conversationId: string) =>
  `tenants/${tenantId}/workspaces/${conversationId}/snapshot.tar`;

import type {
  ConversationBinding,
  WorkspaceChanges,
  WorkspaceRecord,
  WorkspaceStatus,
} from '../model/workspace.js';

export interface ListQuery {
  tenantId: string;
  status?: WorkspaceStatus;
  /** Exact label match. */
  label?: { key: string; value: string };
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  now: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type CreateResult = { ok: true } | { ok: false; reason: 'conversation_bound' };

/**
 * Durable workspace state (DynamoDB with TTL on `expiresAt` in the cloud, DynamoDB Local on a laptop).
 * Every write is conditional; reads never trust TTL: records whose `expiresAt` has passed are invisible to
 * `get` and `list` (the sweep sees them through `listDue`).
 */
export interface WorkspaceStore {
  /**
   * Atomically stores a new workspace and binds its conversation to it. Succeeds only if the conversation
   * is unbound or bound to `replaces` (a workspace the caller saw ended or expired); otherwise
   * `conversation_bound`: somebody else won, read the binding again.
   */
  createForConversation(ws: WorkspaceRecord, opts: { replaces: string | null }): Promise<CreateResult>;

  getBinding(tenantId: string, conversationId: string): Promise<ConversationBinding | undefined>;

  /** Drops the binding if it still points at `workspaceId` (no-op otherwise). */
  releaseBinding(binding: ConversationBinding): Promise<void>;

  /** A workspace by id; `undefined` if unknown or (unless `includeExpired`) past `expiresAt` at `now`. */
  get(id: string, opts: { now: number; includeExpired?: boolean }): Promise<WorkspaceRecord | undefined>;

  /**
   * Applies `changes` if the stored version is still `expectedVersion`; returns the new record
   * (version + 1). Throws VersionConflictError on a lost race, and for an unknown id.
   */
  update(id: string, expectedVersion: number, changes: WorkspaceChanges): Promise<WorkspaceRecord>;

  /** A tenant's workspaces, newest first, filtered, paginated. */
  list(query: ListQuery): Promise<Page<WorkspaceRecord>>;

  /** Non-terminal workspaces whose lease (`expiresAt`) or transitional deadline (`deadlineAt`) is ≤ now. */
  listDue(now: number, limit: number): Promise<WorkspaceRecord[]>;

  /** Every non-terminal workspace (for reconciling with the runtime's task list). */
  listLive(limit: number, cursor?: string): Promise<Page<WorkspaceRecord>>;

  /** Cheap round trip for /health. */
  ping(): Promise<void>;
}

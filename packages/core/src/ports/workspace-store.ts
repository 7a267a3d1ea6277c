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

/** A claim lost either the member (another claimer took it first) or the conversation (bound meanwhile). */
export type ClaimResult = { ok: true } | { ok: false; reason: 'member_taken' | 'conversation_bound' };

/** An adoption lost either the member (claimed, drained or adopted meanwhile) or the workspace (changed). */
export type AdoptResult = { ok: true } | { ok: false; reason: 'member_taken' | 'workspace_changed' };

/** Creates of one template in one minute: served from the pool (claims) or cold (misses). */
export interface PoolDemandMinute {
  /** Epoch ms of the minute's start. */
  minute: number;
  claims: number;
  misses: number;
}

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

  /**
   * The warm pool's claim, one atomic step: the unclaimed member (still at `memberVersion`) becomes `claimed`
   * (same id, the tenant's now) and the conversation is bound to it, unbound or bound to `replaces` before.
   * `member_taken`: another claim (or a drain) got the member first; `conversation_bound`: as for a create.
   */
  claimForConversation(
    claimed: WorkspaceRecord,
    opts: { memberVersion: number; replaces: string | null },
  ): Promise<ClaimResult>;

  /**
   * One conditional transaction: `ws` (at `expectedVersion`) takes over the task of a warm pool member (still
   * unclaimed at `memberVersion`), which is written ended with it (`ended`: `adopted`, `adoptedBy`).
   */
  adoptMember(
    ws: WorkspaceRecord,
    opts: { expectedVersion: number; ended: WorkspaceRecord; memberVersion: number },
  ): Promise<AdoptResult>;

  /** Stores a new warm pool member (no conversation, no binding). */
  createPoolMember(ws: WorkspaceRecord): Promise<void>;

  /** The live, unclaimed members of a template's pool, oldest first (an index read: claim conditionally). */
  listPool(template: string, limit: number): Promise<WorkspaceRecord[]>;

  /** A tenant's live workspaces, counted up to `atMost` (the quota check needs no more). */
  countLive(tenantId: string, now: number, atMost: number): Promise<number>;

  /** Adds to the current minute's demand counters of a template (kept for a day). */
  recordPoolDemand(
    template: string,
    now: number,
    counts: { claims?: number; misses?: number },
  ): Promise<void>;

  /** A template's demand per minute since `since`, oldest first; minutes without creates are left out. */
  poolDemand(template: string, since: number): Promise<PoolDemandMinute[]>;

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

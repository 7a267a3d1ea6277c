import { VersionConflictError } from '../errors.js';
import type { ConversationBinding, WorkspaceChanges, WorkspaceRecord } from '../model/workspace.js';
import type {
  AdoptResult,
  ClaimResult,
  CreateResult,
  ListQuery,
  Page,
  PoolDemandMinute,
  WorkspaceStore,
} from '../ports/workspace-store.js';

export interface WriteThroughCacheOptions {
  /** How long an entry is trusted; a safety net only, since every write through this store updates it. */
  ttlMs?: number;
  /** Entries kept at most (oldest dropped first). */
  maxEntries?: number;
}

/**
 * Caches workspace records in front of a store, updated by every write that goes through it. Exact only
 * while this process is the table's sole writer — true of the local host, whose API, provisioning steps,
 * task-state events and sweep share one store — so it is for local mode, not for Lambdas (many writers).
 * It takes the store read off the hot path of exec and file calls, and the binding read off a create's.
 * Lists pass straight through.
 */
export class WriteThroughCache implements WorkspaceStore {
  private readonly entries = new Map<string, { record: WorkspaceRecord; at: number }>();
  /** Conversation bindings by tenant and conversation; null: known to have none. */
  private readonly bindings = new Map<string, { binding: ConversationBinding | null; at: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly inner: WorkspaceStore,
    opts: WriteThroughCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  async get(
    id: string,
    opts: { now: number; includeExpired?: boolean },
  ): Promise<WorkspaceRecord | undefined> {
    const hit = this.entries.get(id);
    let record: WorkspaceRecord | undefined;
    if (hit && this.fresh(hit)) {
      record = hit.record;
    } else {
      // Read with expired items included, so one cached entry answers both kinds of read.
      record = await this.inner.get(id, { now: opts.now, includeExpired: true });
      if (record) this.remember(record);
      else this.entries.delete(id);
    }
    if (!record || (!opts.includeExpired && record.expiresAt <= opts.now)) return undefined;
    return { ...record };
  }

  async update(id: string, expectedVersion: number, changes: WorkspaceChanges): Promise<WorkspaceRecord> {
    try {
      const record = await this.inner.update(id, expectedVersion, changes);
      this.remember(record);
      return { ...record };
    } catch (e) {
      // A lost race means what we hold is stale (or the id is unknown): read it afresh next time.
      if (e instanceof VersionConflictError) this.entries.delete(id);
      throw e;
    }
  }

  async createForConversation(ws: WorkspaceRecord, opts: { replaces: string | null }): Promise<CreateResult> {
    const result = await this.inner.createForConversation(ws, opts);
    if (result.ok) this.remember(ws);
    this.bound(ws, result.ok);
    return result;
  }

  async claimForConversation(
    claimed: WorkspaceRecord,
    opts: { memberVersion: number; replaces: string | null },
  ): Promise<ClaimResult> {
    const result = await this.inner.claimForConversation(claimed, opts);
    if (result.ok) this.remember(claimed);
    // Lost the member: another claimer (in this process, through this cache) or a drain changed it.
    else if (result.reason === 'member_taken') this.entries.delete(claimed.id);
    if (result.ok || result.reason === 'conversation_bound') this.bound(claimed, result.ok);
    return result;
  }

  async adoptMember(
    ws: WorkspaceRecord,
    opts: { expectedVersion: number; ended: WorkspaceRecord; memberVersion: number },
  ): Promise<AdoptResult> {
    const result = await this.inner.adoptMember(ws, opts);
    if (result.ok) {
      this.remember(ws);
      this.remember(opts.ended);
    } else {
      this.entries.delete(ws.id);
      this.entries.delete(opts.ended.id);
    }
    return result;
  }

  async createPoolMember(ws: WorkspaceRecord): Promise<void> {
    await this.inner.createPoolMember(ws);
    this.remember(ws);
  }

  listPool(template: string, limit: number): Promise<WorkspaceRecord[]> {
    return this.inner.listPool(template, limit);
  }

  countLive(tenantId: string, now: number, atMost: number): Promise<number> {
    return this.inner.countLive(tenantId, now, atMost);
  }

  recordPoolDemand(
    template: string,
    now: number,
    counts: { claims?: number; misses?: number },
  ): Promise<void> {
    return this.inner.recordPoolDemand(template, now, counts);
  }

  poolDemand(template: string, since: number): Promise<PoolDemandMinute[]> {
    return this.inner.poolDemand(template, since);
  }

  async getBinding(tenantId: string, conversationId: string): Promise<ConversationBinding | undefined> {
    const key = bindingKey(tenantId, conversationId);
    const hit = this.bindings.get(key);
    if (hit && this.fresh(hit)) return hit.binding ? { ...hit.binding } : undefined;
    const binding = await this.inner.getBinding(tenantId, conversationId);
    this.keep(this.bindings, key, { binding: binding ?? null, at: performance.now() });
    return binding;
  }

  async releaseBinding(binding: ConversationBinding): Promise<void> {
    // Conditional (it may point elsewhere by now): read afresh next time either way.
    this.bindings.delete(bindingKey(binding.tenantId, binding.conversationId));
    await this.inner.releaseBinding(binding);
  }

  list(query: ListQuery): Promise<Page<WorkspaceRecord>> {
    return this.inner.list(query);
  }

  listDue(now: number, limit: number): Promise<WorkspaceRecord[]> {
    return this.inner.listDue(now, limit);
  }

  listLive(limit: number, cursor?: string): Promise<Page<WorkspaceRecord>> {
    return this.inner.listLive(limit, cursor);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** An entry is trusted for `ttlMs` after it was kept. */
  private fresh(entry: { at: number }): boolean {
    return performance.now() - entry.at < this.ttlMs;
  }

  private remember(record: WorkspaceRecord) {
    this.keep(this.entries, record.id, { record: { ...record }, at: performance.now() });
  }

  /** After a create or claim: the conversation is bound to it, or (lost) to somebody else, read afresh. */
  private bound(ws: WorkspaceRecord, ok: boolean) {
    const key = bindingKey(ws.tenantId, ws.conversationId);
    if (!ok) this.bindings.delete(key);
    else {
      const binding = { tenantId: ws.tenantId, conversationId: ws.conversationId, workspaceId: ws.id };
      this.keep(this.bindings, key, { binding, at: performance.now() });
    }
  }

  private keep<T>(map: Map<string, T>, key: string, value: T) {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

const bindingKey = (tenantId: string, conversationId: string) => `${tenantId}\u0000${conversationId}`;

import {
  VersionConflictError,
  invalidRequest,
  isTerminal,
  isPoolMember,
  LIVE_STATUSES,
  type ConversationBinding,
  type AdoptResult,
  type ClaimResult,
  type CreateResult,
  type PoolDemandMinute,
  type ListQuery,
  type Page,
  type WorkspaceChanges,
  type WorkspaceRecord,
  type WorkspaceStore,
} from '@berth/core';

/** Lets other async work run between a read and a write, so races interleave as they would over a network. */
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

const clone = <T>(v: T): T => structuredClone(v);

const bindingKey = (tenantId: string, conversationId: string) => `${tenantId}\u0000${conversationId}`;

interface CursorKey {
  /** The partition the cursor belongs to (tenant id or `live`). */
  p: string;
  /** Sort position of the last item handed out. */
  s: number;
  id: string;
}

const encodeCursor = (k: CursorKey) => Buffer.from(JSON.stringify(k)).toString('base64url');

function decodeCursor(cursor: string, partition: string): CursorKey {
  let k: unknown;
  try {
    k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('invalid cursor');
  }
  const c = k as Partial<CursorKey> | null;
  if (
    !c ||
    typeof c !== 'object' ||
    c.p !== partition ||
    typeof c.s !== 'number' ||
    typeof c.id !== 'string'
  ) {
    throw invalidRequest('invalid cursor');
  }
  return c as CursorKey;
}

const dueAt = (ws: WorkspaceRecord) =>
  ws.deadlineAt === null ? ws.expiresAt : Math.min(ws.expiresAt, ws.deadlineAt);

/**
 * The WorkspaceStore port in memory, with the DynamoDB store's semantics: every write conditional, reads
 * hide expired records, the create is one atomic step over record and binding. Every call yields to the event
 * loop first, so concurrent callers interleave between their reads and their writes.
 */
export class MemoryWorkspaceStore implements WorkspaceStore {
  readonly records = new Map<string, WorkspaceRecord>();
  readonly bindings = new Map<string, ConversationBinding>();
  /** Every call by name, for assertions on how a service used the store. */
  readonly calls: { op: string; id?: string }[] = [];
  /** Set to make the next calls of an operation throw (simulated outage). */
  failNext: Partial<Record<keyof WorkspaceStore, Error>> = {};

  private async enter(op: keyof WorkspaceStore, id?: string) {
    this.calls.push({ op, id });
    await yieldTurn();
    const e = this.failNext[op];
    if (e) {
      delete this.failNext[op];
      throw e;
    }
  }

  /** Puts a record directly (test setup), binding its conversation if it is not terminal. */
  seed(ws: WorkspaceRecord, opts: { bind?: boolean } = {}): WorkspaceRecord {
    this.records.set(ws.id, clone(ws));
    if (opts.bind ?? !isTerminal(ws.status)) {
      this.bindings.set(bindingKey(ws.tenantId, ws.conversationId), {
        tenantId: ws.tenantId,
        conversationId: ws.conversationId,
        workspaceId: ws.id,
      });
    }
    return ws;
  }

  /** The stored record, expired or not, without a yield (assertions). */
  peek(id: string): WorkspaceRecord | undefined {
    const ws = this.records.get(id);
    return ws && clone(ws);
  }

  async createForConversation(ws: WorkspaceRecord, opts: { replaces: string | null }): Promise<CreateResult> {
    await this.enter('createForConversation', ws.id);
    // From here to the end nothing awaits: the transaction is atomic.
    const key = bindingKey(ws.tenantId, ws.conversationId);
    const bound = this.bindings.get(key);
    if (bound && (opts.replaces === null || bound.workspaceId !== opts.replaces)) {
      return { ok: false, reason: 'conversation_bound' };
    }
    if (this.records.has(ws.id)) throw new Error(`workspace ${ws.id} already exists`);
    this.records.set(ws.id, clone(ws));
    this.bindings.set(key, { tenantId: ws.tenantId, conversationId: ws.conversationId, workspaceId: ws.id });
    return { ok: true };
  }

  async claimForConversation(
    claimed: WorkspaceRecord,
    opts: { memberVersion: number; replaces: string | null },
  ): Promise<ClaimResult> {
    await this.enter('claimForConversation', claimed.id);
    // From here to the end nothing awaits: the transaction is atomic.
    const key = bindingKey(claimed.tenantId, claimed.conversationId);
    const bound = this.bindings.get(key);
    if (bound && (opts.replaces === null || bound.workspaceId !== opts.replaces)) {
      return { ok: false, reason: 'conversation_bound' };
    }
    if (!this.unclaimedAt(claimed.id, opts.memberVersion)) return { ok: false, reason: 'member_taken' };
    this.records.set(claimed.id, clone(claimed));
    this.bindings.set(key, {
      tenantId: claimed.tenantId,
      conversationId: claimed.conversationId,
      workspaceId: claimed.id,
    });
    return { ok: true };
  }

  async adoptMember(
    ws: WorkspaceRecord,
    opts: { expectedVersion: number; ended: WorkspaceRecord; memberVersion: number },
  ): Promise<AdoptResult> {
    await this.enter('adoptMember', ws.id);
    // From here to the end nothing awaits: the transaction is atomic.
    if (!this.unclaimedAt(opts.ended.id, opts.memberVersion)) return { ok: false, reason: 'member_taken' };
    if (this.records.get(ws.id)?.version !== opts.expectedVersion) {
      return { ok: false, reason: 'workspace_changed' };
    }
    this.records.set(ws.id, clone(ws));
    this.records.set(opts.ended.id, clone(opts.ended));
    return { ok: true };
  }

  /** A live pool member still at `version` (the store's condition for a claim or an adoption). */
  private unclaimedAt(id: string, version: number): boolean {
    const member = this.records.get(id);
    return !!member && isPoolMember(member) && !isTerminal(member.status) && member.version === version;
  }

  async createPoolMember(ws: WorkspaceRecord): Promise<void> {
    await this.enter('createPoolMember', ws.id);
    if (this.records.has(ws.id)) throw new Error(`workspace ${ws.id} already exists`);
    this.records.set(ws.id, clone(ws));
  }

  async listPool(template: string, limit: number): Promise<WorkspaceRecord[]> {
    await this.enter('listPool');
    return [...this.records.values()]
      .filter((ws) => isPoolMember(ws) && ws.template === template && !isTerminal(ws.status))
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, limit)
      .map(clone);
  }

  async countLive(tenantId: string, now: number, atMost: number): Promise<number> {
    await this.enter('countLive');
    const live = [...this.records.values()].filter(
      (ws) => ws.tenantId === tenantId && LIVE_STATUSES.includes(ws.status) && ws.expiresAt > now,
    );
    return Math.min(live.length, atMost);
  }

  /** Demand counters by template, then minute. */
  readonly demand = new Map<string, Map<number, PoolDemandMinute>>();

  async recordPoolDemand(
    template: string,
    now: number,
    counts: { claims?: number; misses?: number },
  ): Promise<void> {
    await this.enter('recordPoolDemand');
    const minute = now - (now % 60_000);
    const byMinute = this.demand.get(template) ?? new Map<number, PoolDemandMinute>();
    this.demand.set(template, byMinute);
    const m = byMinute.get(minute) ?? { minute, claims: 0, misses: 0 };
    byMinute.set(minute, {
      minute,
      claims: m.claims + (counts.claims ?? 0),
      misses: m.misses + (counts.misses ?? 0),
    });
  }

  async poolDemand(template: string, since: number): Promise<PoolDemandMinute[]> {
    await this.enter('poolDemand');
    const from = since - (since % 60_000);
    return [...(this.demand.get(template)?.values() ?? [])]
      .filter((m) => m.minute >= from)
      .sort((a, b) => a.minute - b.minute)
      .map(clone);
  }

  async getBinding(tenantId: string, conversationId: string): Promise<ConversationBinding | undefined> {
    await this.enter('getBinding');
    const b = this.bindings.get(bindingKey(tenantId, conversationId));
    return b && clone(b);
  }

  async releaseBinding(binding: ConversationBinding): Promise<void> {
    await this.enter('releaseBinding', binding.workspaceId);
    const key = bindingKey(binding.tenantId, binding.conversationId);
    if (this.bindings.get(key)?.workspaceId === binding.workspaceId) this.bindings.delete(key);
  }

  async get(
    id: string,
    opts: { now: number; includeExpired?: boolean },
  ): Promise<WorkspaceRecord | undefined> {
    await this.enter('get', id);
    const ws = this.records.get(id);
    if (!ws) return undefined;
    if (!opts.includeExpired && ws.expiresAt <= opts.now) return undefined;
    return clone(ws);
  }

  async update(id: string, expectedVersion: number, changes: WorkspaceChanges): Promise<WorkspaceRecord> {
    await this.enter('update', id);
    const ws = this.records.get(id);
    if (!ws || ws.version !== expectedVersion) throw new VersionConflictError(id);
    const next: WorkspaceRecord = { ...ws, version: ws.version + 1 };
    for (const [k, v] of Object.entries(changes)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = clone(v);
    }
    this.records.set(id, next);
    return clone(next);
  }

  async list(query: ListQuery): Promise<Page<WorkspaceRecord>> {
    await this.enter('list');
    if (!Number.isSafeInteger(query.limit) || query.limit < 1)
      throw invalidRequest('limit must be a positive integer');
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.tenantId);
    // Newest first: createdAt descending, id descending as the tie-break (DynamoDB's sort key order).
    const sorted = [...this.records.values()]
      .filter((ws) => ws.tenantId === query.tenantId)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .filter((ws) => !after || ws.createdAt < after.s || (ws.createdAt === after.s && ws.id < after.id));
    const matching = sorted.filter(
      (ws) =>
        ws.expiresAt > query.now &&
        (query.status === undefined || ws.status === query.status) &&
        (query.label === undefined || ws.labels[query.label.key] === query.label.value),
    );
    const items = matching.slice(0, query.limit);
    const last = items[items.length - 1];
    const more = matching.length > items.length;
    return {
      items: items.map(clone),
      nextCursor: more && last ? encodeCursor({ p: query.tenantId, s: last.createdAt, id: last.id }) : null,
    };
  }

  async listDue(now: number, limit: number): Promise<WorkspaceRecord[]> {
    await this.enter('listDue');
    return [...this.records.values()]
      .filter((ws) => !isTerminal(ws.status) && dueAt(ws) <= now)
      .sort((a, b) => dueAt(a) - dueAt(b))
      .slice(0, limit)
      .map(clone);
  }

  async listLive(limit: number, cursor?: string): Promise<Page<WorkspaceRecord>> {
    await this.enter('listLive');
    const after = cursor === undefined ? undefined : decodeCursor(cursor, 'live');
    const live = [...this.records.values()]
      .filter((ws) => !isTerminal(ws.status))
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((ws) => !after || ws.expiresAt > after.s || (ws.expiresAt === after.s && ws.id > after.id));
    const items = live.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(clone),
      nextCursor:
        live.length > items.length && last
          ? encodeCursor({ p: 'live', s: last.expiresAt, id: last.id })
          : null,
    };
  }

  async ping(): Promise<void> {
    await this.enter('ping');
  }
}

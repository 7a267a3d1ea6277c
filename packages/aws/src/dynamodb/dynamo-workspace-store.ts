import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  LIVE_STATUSES,
  POOL_TENANT,
  VersionConflictError,
  invalidRequest,
  isTerminal,
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
import { withSdkTimeouts } from '../client-timeouts.js';
import { decodeCursor } from './page-cursor.js';
import { queryPages } from './query-pages.js';
import { ATTR, INDEX } from './table-keys.js';
import {
  LIVE_PK,
  bindingKey,
  demandPartition,
  dueAt,
  fromBindingItem,
  fromWorkspaceItem,
  isWorkspaceItem,
  padMs,
  poolPartition,
  tenantPartition,
  ttlEpochSeconds,
  toBindingItem,
  toWorkspaceItem,
  updatePlan,
  workspaceKey,
  type BindingItem,
} from './workspace-item.js';

export interface DynamoWorkspaceStoreOptions {
  tableName: string;
  /** A configured client; when absent one is built from `clientConfig` (region, endpoint, credentials). */
  client?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
}

/** An item's put in a transaction, under its own condition. */
interface ConditionalPut {
  Item: object;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** Attempts at a transaction (create, claim, adoption) while concurrent transactions on its items cancel it. */
const TRANSACTION_CONFLICT_ATTEMPTS = 8;

const BY_TENANT_KEYS = [ATTR.pk, ATTR.sk, ATTR.gsi1pk, ATTR.gsi1sk] as const;
const LIVE_BY_EXPIRY_KEYS = [ATTR.pk, ATTR.sk, ATTR.gsi2pk, ATTR.gsi2sk] as const;

/**
 * {@link WorkspaceStore} on one DynamoDB table (layout in README.md and workspace-item.ts). Reads of single
 * items are strongly consistent; index queries are eventually consistent, so their results are checked again
 * in code and callers act on them only through conditional writes.
 */
export class DynamoWorkspaceStore implements WorkspaceStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(opts: DynamoWorkspaceStoreOptions) {
    this.table = opts.tableName;
    const client = opts.client ?? new DynamoDBClient(withSdkTimeouts(opts.clientConfig ?? {}, 'dynamodb'));
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async createForConversation(ws: WorkspaceRecord, opts: { replaces: string | null }): Promise<CreateResult> {
    const result = await this.bindConversation(
      { Item: toWorkspaceItem(ws), ConditionExpression: 'attribute_not_exists(pk)' },
      ws,
      opts.replaces,
    );
    if (result === 'workspace_refused') throw new Error(`workspace ${ws.id} already exists`);
    return result === 'ok' ? { ok: true } : { ok: false, reason: result };
  }

  async claimForConversation(
    claimed: WorkspaceRecord,
    opts: { memberVersion: number; replaces: string | null },
  ): Promise<ClaimResult> {
    const result = await this.bindConversation(
      {
        // The whole item anew: no pool index key (claimed), the tenant's index key, nothing a member could
        // have carried over.
        Item: toWorkspaceItem(claimed),
        ...unclaimedMember(opts.memberVersion),
      },
      claimed,
      opts.replaces,
    );
    if (result === 'workspace_refused') return { ok: false, reason: 'member_taken' };
    return result === 'ok' ? { ok: true } : { ok: false, reason: result };
  }

  /**
   * One transaction: the workspace item put under its own condition, and the conversation bound to it (unbound,
   * or bound to `replaces`). Which condition refused is the answer; the binding's wins when both did.
   */
  private async bindConversation(
    put: ConditionalPut,
    ws: WorkspaceRecord,
    replaces: string | null,
  ): Promise<'ok' | 'conversation_bound' | 'workspace_refused'> {
    const binding = toBindingItem({
      tenantId: ws.tenantId,
      conversationId: ws.conversationId,
      workspaceId: ws.id,
    });
    const refused = await this.transact([put, { Item: binding, ...bindingCondition(replaces) }]);
    if (!refused) return 'ok';
    // The binding's refusal wins when both were refused.
    return refused[1] === 'ConditionalCheckFailed' ? 'conversation_bound' : 'workspace_refused';
  }

  async adoptMember(
    ws: WorkspaceRecord,
    opts: { expectedVersion: number; ended: WorkspaceRecord; memberVersion: number },
  ): Promise<AdoptResult> {
    const refused = await this.transact([
      {
        Item: toWorkspaceItem(opts.ended),
        ...unclaimedMember(opts.memberVersion),
      },
      {
        Item: toWorkspaceItem(ws),
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': opts.expectedVersion },
      },
    ]);
    if (!refused) return { ok: true };
    return {
      ok: false,
      reason: refused[0] === 'ConditionalCheckFailed' ? 'member_taken' : 'workspace_changed',
    };
  }

  /**
   * Conditional puts in one transaction: null when written, else each put's cancellation reason (one at least
   * `ConditionalCheckFailed`). A TransactionConflict (another transaction on one of the items in flight, which
   * may yet fail: "refused" would be a guess, and a member given up on might be claimed by nobody) is tried
   * again; once the other commits, the conditions decide.
   */
  private async transact(puts: ConditionalPut[]): Promise<(string | undefined)[] | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: puts.map((put) => ({ Put: { TableName: this.table, ...put } })),
          }),
        );
        return null;
      } catch (e) {
        const reasons = cancellationReasons(e);
        if (!reasons) throw e;
        if (reasons.includes('ConditionalCheckFailed')) return reasons;
        if (!reasons.includes('TransactionConflict') || attempt >= TRANSACTION_CONFLICT_ATTEMPTS) throw e;
        await sleep(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  async createPoolMember(ws: WorkspaceRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: toWorkspaceItem(ws),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async listPool(template: string, limit: number): Promise<WorkspaceRecord[]> {
    checkLimit(limit);
    const { items } = await queryPages(
      this.doc,
      {
        TableName: this.table,
        IndexName: INDEX.byPool,
        KeyConditionExpression: '#pk = :pool',
        ExpressionAttributeNames: { '#pk': ATTR.gsi4pk },
        ExpressionAttributeValues: { ':pool': poolPartition(template) },
      },
      {
        limit,
        keyAttributes: [],
        // The index lags: a member claimed or ended a moment ago may still be listed; claims are conditional.
        map: (item) => {
          if (!isWorkspaceItem(item)) return undefined;
          const ws = fromWorkspaceItem(item);
          return ws.tenantId === POOL_TENANT && !isTerminal(ws.status) ? ws : undefined;
        },
      },
    );
    return items;
  }

  async countLive(tenantId: string, now: number, atMost: number): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: INDEX.byTenant,
          KeyConditionExpression: '#pk = :pk',
          FilterExpression: '#status IN (:s0, :s1, :s2) AND #expiresAtMs > :now',
          ExpressionAttributeNames: {
            '#pk': ATTR.gsi1pk,
            '#status': 'status',
            '#expiresAtMs': ATTR.expiresAtMs,
          },
          ExpressionAttributeValues: {
            ':pk': tenantPartition(tenantId),
            ':now': now,
            ...Object.fromEntries(LIVE_STATUSES.map((s, i) => [`:s${i}`, s])),
          },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && count < atMost);
    return count;
  }

  async recordPoolDemand(
    template: string,
    now: number,
    counts: { claims?: number; misses?: number },
  ): Promise<void> {
    const minute = now - (now % 60_000);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: demandPartition(template), sk: padMs(minute) },
        UpdateExpression: 'SET #ttl = :ttl ADD claims :claims, misses :misses',
        ExpressionAttributeNames: { '#ttl': ATTR.ttl },
        ExpressionAttributeValues: {
          ':ttl': ttlEpochSeconds(minute + DEMAND_RETENTION_MS),
          ':claims': counts.claims ?? 0,
          ':misses': counts.misses ?? 0,
        },
      }),
    );
  }

  async poolDemand(template: string, since: number): Promise<PoolDemandMinute[]> {
    const minutes: PoolDemandMinute[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: {
            ':pk': demandPartition(template),
            ':since': padMs(Math.max(0, since - (since % 60_000))),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        minutes.push({
          minute: Number(item.sk),
          claims: Number(item.claims ?? 0),
          misses: Number(item.misses ?? 0),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return minutes;
  }

  async getBinding(tenantId: string, conversationId: string): Promise<ConversationBinding | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: bindingKey(tenantId, conversationId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromBindingItem(out.Item as BindingItem) : undefined;
  }

  async releaseBinding(binding: ConversationBinding): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: bindingKey(binding.tenantId, binding.conversationId),
          ConditionExpression: 'workspaceId = :id',
          ExpressionAttributeValues: { ':id': binding.workspaceId },
        }),
      );
    } catch (e) {
      // Gone already, or bound to a newer workspace: either way not ours to drop.
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  async get(
    id: string,
    opts: { now: number; includeExpired?: boolean },
  ): Promise<WorkspaceRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: workspaceKey(id), ConsistentRead: true }),
    );
    if (!isWorkspaceItem(out.Item)) return undefined;
    const ws = fromWorkspaceItem(out.Item);
    // TTL deletes hours late: an expired record is invisible whether or not DynamoDB has removed it yet.
    if (!opts.includeExpired && ws.expiresAt <= opts.now) return undefined;
    return ws;
  }

  /**
   * One conditional UpdateItem; no read first. Index and TTL attributes are derived field by field
   * (`updatePlan`), so the stored values of unchanged fields are never needed.
   */
  async update(id: string, expectedVersion: number, changes: WorkspaceChanges): Promise<WorkspaceRecord> {
    const plan = updatePlan(id, changes);
    const names: Record<string, string> = { '#pk': ATTR.pk, '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1 };
    const sets = ['#version = #version + :one'];
    Object.entries(plan.set).forEach(([attr, value], i) => {
      names[`#s${i}`] = attr;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    });
    const removes = plan.remove.map((attr, i) => {
      names[`#r${i}`] = attr;
      return `#r${i}`;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: workspaceKey(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!isWorkspaceItem(out.Attributes)) throw new Error(`item WS#${id} is not a workspace`);
      return fromWorkspaceItem(out.Attributes);
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new VersionConflictError(id);
      throw e;
    }
  }

  async list(query: ListQuery): Promise<Page<WorkspaceRecord>> {
    checkLimit(query.limit);
    const partition = tenantPartition(query.tenantId);
    const names: Record<string, string> = { '#pk': ATTR.gsi1pk, '#expiresAtMs': ATTR.expiresAtMs };
    const values: Record<string, unknown> = { ':pk': partition, ':now': query.now };
    const filters = ['#expiresAtMs > :now'];
    if (query.status !== undefined) {
      Object.assign(names, { '#status': 'status' });
      Object.assign(values, { ':status': query.status });
      filters.push('#status = :status');
    }
    if (query.label !== undefined) {
      Object.assign(names, { '#labels': 'labels', '#labelKey': query.label.key });
      Object.assign(values, { ':labelValue': query.label.value });
      filters.push('#labels.#labelKey = :labelValue');
    }
    const input: QueryCommandInput = {
      TableName: this.table,
      IndexName: INDEX.byTenant,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: filters.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    };
    return queryPages(this.doc, input, {
      limit: query.limit,
      keyAttributes: BY_TENANT_KEYS,
      ...(query.cursor !== undefined && {
        startKey: decodeCursor(query.cursor, BY_TENANT_KEYS, { attribute: ATTR.gsi1pk, value: partition }),
      }),
      map: (item) => (isWorkspaceItem(item) ? fromWorkspaceItem(item) : undefined),
    });
  }

  /**
   * Two queries, one per live index, each for items due by `now`, oldest due first; merged, checked again
   * (the indexes are eventually consistent) and cut to `limit`.
   */
  async listDue(now: number, limit: number): Promise<WorkspaceRecord[]> {
    checkLimit(limit);
    const dueBy = (index: string, pkAttr: string, skAttr: string) =>
      queryPages(
        this.doc,
        {
          TableName: this.table,
          IndexName: index,
          KeyConditionExpression: '#pk = :live AND #sk < :after',
          ExpressionAttributeNames: { '#pk': pkAttr, '#sk': skAttr },
          // Sort keys are `<padded ms>#<id>`: everything due at `now` sorts before `now + 1`.
          ExpressionAttributeValues: { ':live': LIVE_PK, ':after': padMs(now + 1) },
        },
        {
          limit,
          keyAttributes: [],
          map: (item) => (isWorkspaceItem(item) ? fromWorkspaceItem(item) : undefined),
        },
      );
    const [byExpiry, byDeadline] = await Promise.all([
      dueBy(INDEX.liveByExpiry, ATTR.gsi2pk, ATTR.gsi2sk),
      dueBy(INDEX.liveByDeadline, ATTR.gsi3pk, ATTR.gsi3sk),
    ]);
    const due = new Map<string, WorkspaceRecord>();
    for (const ws of [...byExpiry.items, ...byDeadline.items]) {
      if (!isTerminal(ws.status) && dueAt(ws) <= now) due.set(ws.id, ws);
    }
    return [...due.values()].sort((a, b) => dueAt(a) - dueAt(b)).slice(0, limit);
  }

  /** Pages through the liveByExpiry index; a page may be short where the index lags a terminal write. */
  async listLive(limit: number, cursor?: string): Promise<Page<WorkspaceRecord>> {
    checkLimit(limit);
    return queryPages(
      this.doc,
      {
        TableName: this.table,
        IndexName: INDEX.liveByExpiry,
        KeyConditionExpression: '#pk = :live',
        ExpressionAttributeNames: { '#pk': ATTR.gsi2pk },
        ExpressionAttributeValues: { ':live': LIVE_PK },
      },
      {
        limit,
        keyAttributes: LIVE_BY_EXPIRY_KEYS,
        ...(cursor !== undefined && {
          startKey: decodeCursor(cursor, LIVE_BY_EXPIRY_KEYS, { attribute: ATTR.gsi2pk, value: LIVE_PK }),
        }),
        map: (item) => {
          if (!isWorkspaceItem(item)) return undefined;
          const ws = fromWorkspaceItem(item);
          return isTerminal(ws.status) ? undefined : ws;
        },
      },
    );
  }

  /** A GetItem of a key that never exists: needs only the read permission the store has anyway. */
  async ping(): Promise<void> {
    await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: 'PING', sk: 'PING' } }));
  }
}

/** Demand counters are kept a day: the adaptive target and `GET /v1/pool` look back minutes, not days. */
const DEMAND_RETENTION_MS = 86_400_000;

/** A warm pool member still at the version read, still no tenant's, still in its pool's index. */
const unclaimedMember = (version: number) => ({
  ConditionExpression: '#version = :member AND #tenant = :pool AND attribute_exists(#poolKey)',
  ExpressionAttributeNames: { '#version': 'version', '#tenant': 'tenantId', '#poolKey': ATTR.gsi4pk },
  ExpressionAttributeValues: { ':member': version, ':pool': POOL_TENANT },
});

/** A conversation may be bound if unbound, or bound to the ended workspace the caller saw (`replaces`). */
const bindingCondition = (replaces: string | null) =>
  replaces === null
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : {
        ConditionExpression: 'attribute_not_exists(pk) OR workspaceId = :replaces',
        ExpressionAttributeValues: { ':replaces': replaces },
      };

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidRequest('limit must be a positive integer');
}

const isConditionalCheckFailed = (e: unknown) =>
  (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** Per-item cancellation codes of a cancelled transaction, in TransactItems order; undefined for other errors. */
function cancellationReasons(e: unknown): (string | undefined)[] | undefined {
  const err = e as { name?: string; CancellationReasons?: { Code?: string }[] } | null;
  if (err?.name !== 'TransactionCanceledException') return undefined;
  return (err.CancellationReasons ?? []).map((r) => r.Code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

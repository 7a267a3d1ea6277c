import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ApiError, VersionConflictError, type WorkspaceRecord } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoWorkspaceStore } from '../../src/dynamodb/dynamo-workspace-store.js';
import { ensureTable, INDEX } from '../../src/dynamodb/table-definition.js';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../support/dynamodb-local.js';
import { makeWorkspace } from '../support/workspace-fixture.js';

const db = useDynamoDbLocal();
let client: DynamoDBClient;

beforeAll(() => {
  client = localDynamoClient(db);
});
afterAll(() => client?.destroy());

/** A store over a new empty table: the live indexes are table-wide, so groups must not share one. */
async function freshStore(): Promise<DynamoWorkspaceStore> {
  return new DynamoWorkspaceStore({ tableName: await freshTable(client), client });
}

/** Stores `ws` with its conversation binding, failing the test if that is refused. */
async function put(store: DynamoWorkspaceStore, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  expect(await store.createForConversation(ws, { replaces: null })).toEqual({ ok: true });
  return ws;
}

const ids = (items: WorkspaceRecord[]) => items.map((w) => w.id);

describe('table', () => {
  it('ensureTable creates the table with its indexes and TTL, and is idempotent', async () => {
    const name = await freshTable(client);
    await ensureTable(client, name);
    const t = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(t.Table?.TableStatus).toBe('ACTIVE');
    expect(t.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(
      Object.values(INDEX).sort(),
    );
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('ping answers on an existing table and fails on a missing one', async () => {
    const store = await freshStore();
    await expect(store.ping()).resolves.toBeUndefined();
    const missing = new DynamoWorkspaceStore({ tableName: 'berth-missing', client });
    await expect(missing.ping()).rejects.toThrow();
  });
});

describe('create and get', () => {
  let store: DynamoWorkspaceStore;
  beforeAll(async () => {
    store = await freshStore();
  });

  it('round-trips every field, with nulls and empty labels', async () => {
    const ws = await put(store, makeWorkspace());
    expect(await store.get(ws.id, { now: Date.now() })).toEqual(ws);
  });

  it('round-trips a ready workspace with a UDS endpoint, labels and a termination reason', async () => {
    const now = Date.now();
    const ws = await put(
      store,
      makeWorkspace({
        status: 'ready',
        readyAt: now + 1,
        deadlineAt: null,
        labels: { team: 'search', 'with space': 'ü ✓', empty: '' },
        taskRef: 'container-123',
        endpoint: { kind: 'uds', socketPath: '/var/run/berth/ws/agent.sock' },
        fromPool: true,
        expiresAt: now + 1_234_567,
      }),
    );
    expect(await store.get(ws.id, { now })).toEqual(ws);
  });

  it('round-trips an HTTP endpoint on ECS', async () => {
    const ws = await put(
      store,
      makeWorkspace({
        runtime: 'ecs',
        taskRef: 'arn:aws:ecs:us-east-1:123456789012:task/berth/abc',
        endpoint: { kind: 'http', host: '10.0.3.7', port: 9000 },
        status: 'failed',
        terminationReason: 'task_stopped:Essential container in task exited',
      }),
    );
    expect(await store.get(ws.id, { now: Date.now() })).toEqual(ws);
  });

  it('get of an unknown id is undefined', async () => {
    expect(await store.get('ws_nope', { now: Date.now() })).toBeUndefined();
  });

  it('hides an expired workspace from get unless includeExpired', async () => {
    const now = Date.now();
    const ws = await put(store, makeWorkspace({ expiresAt: now }));
    expect(await store.get(ws.id, { now })).toBeUndefined();
    expect(await store.get(ws.id, { now: now - 1 })).toEqual(ws);
    expect(await store.get(ws.id, { now, includeExpired: true })).toEqual(ws);
  });
});

describe('conversation binding', () => {
  let store: DynamoWorkspaceStore;
  beforeAll(async () => {
    store = await freshStore();
  });

  it('binds the conversation; a second create for it is conversation_bound', async () => {
    const first = await put(store, makeWorkspace());
    const second = makeWorkspace({ conversationId: first.conversationId });
    expect(await store.createForConversation(second, { replaces: null })).toEqual({
      ok: false,
      reason: 'conversation_bound',
    });
    expect(await store.get(second.id, { now: Date.now() })).toBeUndefined();
    expect(await store.getBinding(first.tenantId, first.conversationId)).toEqual({
      tenantId: first.tenantId,
      conversationId: first.conversationId,
      workspaceId: first.id,
    });
  });

  it('the same conversation id in another tenant is a different binding', async () => {
    const a = await put(store, makeWorkspace());
    await put(store, makeWorkspace({ tenantId: 'tenant-b', conversationId: a.conversationId }));
  });

  it('replaces the workspace it was told to replace, and only that one', async () => {
    const old = await put(store, makeWorkspace());
    const wrong = makeWorkspace({ conversationId: old.conversationId });
    expect(await store.createForConversation(wrong, { replaces: 'ws_someone_else' })).toEqual({
      ok: false,
      reason: 'conversation_bound',
    });
    const next = makeWorkspace({ conversationId: old.conversationId });
    expect(await store.createForConversation(next, { replaces: old.id })).toEqual({ ok: true });
    expect((await store.getBinding(old.tenantId, old.conversationId))?.workspaceId).toBe(next.id);
    // The replaced record stays (for its history); only the binding moved.
    expect(await store.get(old.id, { now: Date.now() })).toEqual(old);
  });

  it('replaces works on an unbound conversation too', async () => {
    const ws = makeWorkspace();
    expect(await store.createForConversation(ws, { replaces: 'ws_gone' })).toEqual({ ok: true });
  });

  it('of 20 concurrent creates for one conversation exactly one wins', async () => {
    const conversationId = `race-${Date.now()}`;
    const contenders = Array.from({ length: 20 }, () => makeWorkspace({ conversationId }));
    const results = await Promise.all(
      contenders.map((ws) => store.createForConversation(ws, { replaces: null })),
    );
    const winners = contenders.filter((_, i) => results[i]?.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(
      Array.from({ length: 19 }, () => ({ ok: false, reason: 'conversation_bound' })),
    );
    expect((await store.getBinding('tenant-a', conversationId))?.workspaceId).toBe(winners[0]?.id);
    const stored = await Promise.all(contenders.map((ws) => store.get(ws.id, { now: Date.now() })));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });

  it('releaseBinding drops only a binding that still points at the workspace', async () => {
    const old = await put(store, makeWorkspace());
    const next = makeWorkspace({ conversationId: old.conversationId });
    expect(await store.createForConversation(next, { replaces: old.id })).toEqual({ ok: true });
    const oldBinding = { tenantId: old.tenantId, conversationId: old.conversationId, workspaceId: old.id };
    await store.releaseBinding(oldBinding); // stale: no-op
    expect((await store.getBinding(old.tenantId, old.conversationId))?.workspaceId).toBe(next.id);
    await store.releaseBinding({ ...oldBinding, workspaceId: next.id });
    expect(await store.getBinding(old.tenantId, old.conversationId)).toBeUndefined();
    await store.releaseBinding({ ...oldBinding, workspaceId: next.id }); // already gone: no-op
    expect(
      await store.createForConversation(makeWorkspace({ conversationId: old.conversationId }), {
        replaces: null,
      }),
    ).toEqual({ ok: true });
  });

  it('getBinding of an unbound conversation is undefined', async () => {
    expect(await store.getBinding('tenant-a', 'never-bound')).toBeUndefined();
  });
});

describe('update', () => {
  let store: DynamoWorkspaceStore;
  beforeAll(async () => {
    store = await freshStore();
  });

  it('applies changes with the right version and returns version + 1', async () => {
    const ws = await put(store, makeWorkspace());
    const now = Date.now();
    const changes = {
      status: 'ready',
      readyAt: now,
      deadlineAt: null,
      taskRef: 'c-1',
      endpoint: { kind: 'uds', socketPath: '/s/agent.sock' },
      labels: { a: '1' },
      expiresAt: now + 99_999,
    } as const;
    const updated = await store.update(ws.id, 1, changes);
    expect(updated).toEqual({ ...ws, ...changes, version: 2 });
    expect(await store.get(ws.id, { now })).toEqual(updated);
  });

  it('with no changes still bumps the version', async () => {
    const ws = await put(store, makeWorkspace());
    expect((await store.update(ws.id, 1, {})).version).toBe(2);
  });

  it('ignores undefined fields and stores nulls', async () => {
    const ws = await put(
      store,
      makeWorkspace({ taskRef: 't', endpoint: { kind: 'http', host: 'h', port: 1 } }),
    );
    const updated = await store.update(ws.id, 1, { taskRef: null, endpoint: null, readyAt: undefined });
    expect(updated).toEqual({ ...ws, taskRef: null, endpoint: null, version: 2 });
  });

  it('with a stale version throws VersionConflictError and changes nothing', async () => {
    const ws = await put(store, makeWorkspace());
    await store.update(ws.id, 1, { lastActiveAt: ws.lastActiveAt + 1 });
    await expect(store.update(ws.id, 1, { status: 'failed' })).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.get(ws.id, { now: Date.now() }))?.status).toBe('provisioning');
  });

  it('of an unknown id throws VersionConflictError', async () => {
    await expect(store.update('ws_unknown', 1, { status: 'failed' })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });

  it('of concurrent updates from the same version exactly one wins', async () => {
    const ws = await put(store, makeWorkspace());
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.update(ws.id, 1, { lastActiveAt: ws.lastActiveAt + i })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(VersionConflictError);
    }
    expect((await store.get(ws.id, { now: Date.now() }))?.version).toBe(2);
  });
});

describe('list', () => {
  let store: DynamoWorkspaceStore;
  const now = Date.now();
  const base = now - 1_000_000;
  /** 25 workspaces of tenant-list, created one second apart, oldest first. */
  const mine: WorkspaceRecord[] = [];

  beforeAll(async () => {
    store = await freshStore();
    for (let i = 0; i < 25; i++) {
      mine.push(
        makeWorkspace(
          {
            tenantId: 'tenant-list',
            status: i % 5 === 0 ? 'ready' : 'provisioning',
            labels: i % 2 === 0 ? { parity: 'even', idx: String(i) } : { parity: 'odd' },
          },
          base + i * 1000,
        ),
      );
    }
    await Promise.all(mine.map((ws) => put(store, ws)));
    // Another tenant's items, some newer and some older, must never show up.
    await Promise.all(
      [0, 12_000, 40_000].map((dt) => put(store, makeWorkspace({ tenantId: 'tenant-other' }, base + dt))),
    );
  });

  const newestFirst = () => [...mine].reverse();

  it('lists a tenant newest first, paginated 10, 10, 5 with cursors', async () => {
    const pages: WorkspaceRecord[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ tenantId: 'tenant-list', limit: 10, now, ...(cursor && { cursor }) });
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(ids(pages.flat())).toEqual(ids(newestFirst()));
    expect(pages.flat()).toEqual(newestFirst());
  });

  it('a limit above the count returns everything and no cursor', async () => {
    const page = await store.list({ tenantId: 'tenant-list', limit: 100, now });
    expect(ids(page.items)).toEqual(ids(newestFirst()));
    expect(page.nextCursor).toBeNull();
  });

  it('never shows another tenant', async () => {
    const page = await store.list({ tenantId: 'tenant-other', limit: 100, now });
    expect(page.items.map((w) => w.tenantId)).toEqual(['tenant-other', 'tenant-other', 'tenant-other']);
    expect(page.items.map((w) => w.createdAt)).toEqual([base + 40_000, base + 12_000, base]);
  });

  it('filters by status, across pages', async () => {
    const want = ids(newestFirst().filter((w) => w.status === 'ready'));
    expect(want).toHaveLength(5);
    const first = await store.list({ tenantId: 'tenant-list', status: 'ready', limit: 3, now });
    expect(ids(first.items)).toEqual(want.slice(0, 3));
    const second = await store.list({
      tenantId: 'tenant-list',
      status: 'ready',
      limit: 3,
      now,
      cursor: first.nextCursor!,
    });
    expect(ids(second.items)).toEqual(want.slice(3));
    if (second.nextCursor) {
      const third = await store.list({
        tenantId: 'tenant-list',
        status: 'ready',
        limit: 3,
        now,
        cursor: second.nextCursor,
      });
      expect(third).toEqual({ items: [], nextCursor: null });
    }
  });

  it('filters by label', async () => {
    const page = await store.list({
      tenantId: 'tenant-list',
      label: { key: 'parity', value: 'odd' },
      limit: 100,
      now,
    });
    expect(ids(page.items)).toEqual(ids(newestFirst().filter((w) => w.labels.parity === 'odd')));
    const one = await store.list({
      tenantId: 'tenant-list',
      label: { key: 'idx', value: '12' },
      limit: 100,
      now,
    });
    expect(ids(one.items)).toEqual([mine[12]!.id]);
    const none = await store.list({
      tenantId: 'tenant-list',
      label: { key: 'nope', value: 'x' },
      limit: 10,
      now,
    });
    expect(none).toEqual({ items: [], nextCursor: null });
  });

  it('combines status and label filters', async () => {
    const page = await store.list({
      tenantId: 'tenant-list',
      status: 'ready',
      label: { key: 'parity', value: 'even' },
      limit: 100,
      now,
    });
    expect(ids(page.items)).toEqual(
      ids(newestFirst().filter((w) => w.status === 'ready' && w.labels.parity === 'even')),
    );
  });

  it('hides expired workspaces', async () => {
    const s = await freshStore();
    const live = await put(s, makeWorkspace({ tenantId: 't', expiresAt: now + 1 }, now - 2));
    await put(s, makeWorkspace({ tenantId: 't', expiresAt: now }, now - 1));
    expect(ids((await s.list({ tenantId: 't', limit: 10, now })).items)).toEqual([live.id]);
  });

  it('rejects an invalid cursor with invalid_request', async () => {
    const bad = [
      'not base64 json',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from(JSON.stringify({ pk: 'x' })).toString('base64url'),
      // Every attribute right, but a key past DynamoDB's 1 KiB sort-key limit: its ValidationException was a 500.
      Buffer.from(
        JSON.stringify({ pk: 'WS#x', sk: 'WS', gsi1pk: 'TENANT#tenant-list', gsi1sk: 'x'.repeat(1100) }),
      ).toString('base64url'),
    ];
    for (const cursor of bad) {
      const err = await store
        .list({ tenantId: 'tenant-list', limit: 10, now, cursor })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ code: 'invalid_request', message: 'invalid cursor' });
    }
  });

  it("rejects another tenant's cursor", async () => {
    const page = await store.list({ tenantId: 'tenant-list', limit: 2, now });
    const err = await store
      .list({ tenantId: 'tenant-other', limit: 10, now, cursor: page.nextCursor! })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_request' });
  });

  it('rejects a limit below 1', async () => {
    await expect(store.list({ tenantId: 'tenant-list', limit: 0, now })).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('listDue and listLive', () => {
  let store: DynamoWorkspaceStore;
  const now = Date.now();

  beforeAll(async () => {
    store = await freshStore();
  });

  it('finds lease-expired and deadline-passed live workspaces, never terminal or not-yet-due ones', async () => {
    const leaseOver = await put(
      store,
      makeWorkspace({ status: 'ready', deadlineAt: null, expiresAt: now - 5 }),
    );
    const leaseEndsNow = await put(
      store,
      makeWorkspace({ status: 'paused', deadlineAt: null, expiresAt: now }),
    );
    const stuck = await put(store, makeWorkspace({ status: 'provisioning', deadlineAt: now - 10 }));
    const stopping = await put(store, makeWorkspace({ status: 'stopping', deadlineAt: now }));
    await put(store, makeWorkspace({ status: 'ready', deadlineAt: null, expiresAt: now + 1 }));
    await put(store, makeWorkspace({ status: 'provisioning', deadlineAt: now + 1 }));
    await put(store, makeWorkspace({ status: 'stopped', expiresAt: now - 100, deadlineAt: null }));
    await put(store, makeWorkspace({ status: 'failed', expiresAt: now - 100, deadlineAt: now - 100 }));

    const due = await store.listDue(now, 100);
    // Ordered by due time: stuck (now-10), leaseOver (now-5), then the two due exactly now.
    expect(ids(due).slice(0, 2)).toEqual([stuck.id, leaseOver.id]);
    expect(new Set(ids(due))).toEqual(new Set([leaseOver.id, leaseEndsNow.id, stuck.id, stopping.id]));
    expect(await store.listDue(now, 2)).toHaveLength(2);
    expect(await store.listDue(now - 1_000_000, 100)).toEqual([]);
  });

  it('follows updates of the due-time fields', async () => {
    const s = await freshStore();
    const ws = await put(s, makeWorkspace({ status: 'ready', deadlineAt: null, expiresAt: now + 60_000 }));
    expect(await s.listDue(now, 10)).toEqual([]);
    // Deadline set without touching expiresAt: due through the deadline index.
    let v = await s.update(ws.id, 1, { status: 'stopping', deadlineAt: now - 1 });
    expect(ids(await s.listDue(now, 10))).toEqual([ws.id]);
    // Deadline cleared: not due any more.
    v = await s.update(ws.id, v.version, { deadlineAt: null });
    expect(await s.listDue(now, 10)).toEqual([]);
    // Lease moved into the past (keepalive's field alone): due through the expiry index.
    v = await s.update(ws.id, v.version, { expiresAt: now - 1 });
    expect(ids(await s.listDue(now, 10))).toEqual([ws.id]);
    // Terminal: gone from both live indexes, even with a past deadline.
    v = await s.update(ws.id, v.version, { deadlineAt: now - 2 });
    await s.update(ws.id, v.version, { status: 'stopped', terminationReason: 'deleted' });
    expect(await s.listDue(now, 10)).toEqual([]);
    expect((await s.listLive(10)).items).toEqual([]);
  });

  it('an expiresAt change on a terminal workspace does not bring it back', async () => {
    const s = await freshStore();
    const ws = await put(s, makeWorkspace({ status: 'failed', deadlineAt: null }));
    await s.update(ws.id, 1, { expiresAt: now - 1, deadlineAt: now - 1 });
    expect(await s.listDue(now, 10)).toEqual([]);
    expect((await s.listLive(10)).items).toEqual([]);
  });

  it('listLive pages through every non-terminal workspace', async () => {
    const s = await freshStore();
    const live = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        put(s, makeWorkspace({ status: (['provisioning', 'ready', 'paused', 'stopping'] as const)[i % 4] })),
      ),
    );
    await put(s, makeWorkspace({ status: 'stopped' }));
    await put(s, makeWorkspace({ status: 'failed' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.listLive(5, cursor);
      seen.push(...ids(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual(ids(live).sort());

    const stopped = await s.update(live[0]!.id, 1, { status: 'failed', terminationReason: 'crashed' });
    expect(ids((await s.listLive(100)).items)).not.toContain(stopped.id);
    expect((await s.listLive(100)).items).toHaveLength(11);
  });

  it('listLive rejects an invalid cursor', async () => {
    await expect(store.listLive(10, 'garbage')).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

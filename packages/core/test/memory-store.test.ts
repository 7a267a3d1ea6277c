import { describe, expect, it } from 'vitest';
import { ApiError, VersionConflictError } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

/** The in-memory store must honour the WorkspaceStore port exactly, or every service test above proves nothing. */
describe('MemoryWorkspaceStore honours the port', () => {
  it('createForConversation binds atomically; a bound conversation refuses unless replacing that workspace', async () => {
    const deps = makeDeps();
    const a = seedWorkspace(deps, { id: 'ws_a', conversationId: 'c' });
    const b = { ...a, id: 'ws_b' };
    expect(await deps.store.createForConversation(b, { replaces: null })).toEqual({
      ok: false,
      reason: 'conversation_bound',
    });
    expect(await deps.store.createForConversation(b, { replaces: 'ws_other' })).toEqual({
      ok: false,
      reason: 'conversation_bound',
    });
    expect(deps.store.peek('ws_b')).toBeUndefined();
    expect(await deps.store.createForConversation(b, { replaces: 'ws_a' })).toEqual({ ok: true });
    expect((await deps.store.getBinding('t1', 'c'))?.workspaceId).toBe('ws_b');
    // Unbound conversations accept a create that expected to replace something.
    await deps.store.releaseBinding({ tenantId: 't1', conversationId: 'c', workspaceId: 'ws_b' });
    expect(await deps.store.createForConversation({ ...a, id: 'ws_c' }, { replaces: 'ws_b' })).toEqual({
      ok: true,
    });
  });

  it('releaseBinding only drops a binding that still points at the workspace', async () => {
    const deps = makeDeps();
    seedWorkspace(deps, { id: 'ws_a', conversationId: 'c' });
    await deps.store.releaseBinding({ tenantId: 't1', conversationId: 'c', workspaceId: 'ws_old' });
    expect(await deps.store.getBinding('t1', 'c')).toBeDefined();
    await deps.store.releaseBinding({ tenantId: 't1', conversationId: 'c', workspaceId: 'ws_a' });
    expect(await deps.store.getBinding('t1', 'c')).toBeUndefined();
  });

  it('update is conditional on the version and bumps it; a lost race or unknown id is a VersionConflictError', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const next = await deps.store.update(ws.id, 1, { status: 'paused', deadlineAt: null });
    expect(next).toMatchObject({ version: 2, status: 'paused' });
    await expect(deps.store.update(ws.id, 1, { status: 'ready' })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(deps.store.update('ws_nope', 1, {})).rejects.toBeInstanceOf(VersionConflictError);
    // Concurrent writers on one version: exactly one wins.
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => deps.store.update(ws.id, 2, { lastActiveAt: 5 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('get hides a record whose lease ended unless includeExpired', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const ws = seedWorkspace(deps, { expiresAt: now });
    expect(await deps.store.get(ws.id, { now })).toBeUndefined();
    expect(await deps.store.get(ws.id, { now: now - 1 })).toBeDefined();
    expect(await deps.store.get(ws.id, { now, includeExpired: true })).toBeDefined();
  });

  it('list: one tenant, newest first, filtered, paginated with an opaque cursor bound to the tenant', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    for (let i = 0; i < 5; i++)
      seedWorkspace(deps, { id: `ws_${i}`, createdAt: now + i, labels: { n: String(i % 2) } });
    seedWorkspace(deps, { id: 'ws_other', tenantId: 't2', createdAt: now + 100 });
    seedWorkspace(deps, { id: 'ws_expired', createdAt: now + 50, expiresAt: now - 1 });
    const p1 = await deps.store.list({ tenantId: 't1', limit: 2, now });
    expect(p1.items.map((w) => w.id)).toEqual(['ws_4', 'ws_3']);
    const p2 = await deps.store.list({ tenantId: 't1', limit: 2, now, cursor: p1.nextCursor! });
    expect(p2.items.map((w) => w.id)).toEqual(['ws_2', 'ws_1']);
    const p3 = await deps.store.list({ tenantId: 't1', limit: 2, now, cursor: p2.nextCursor! });
    expect(p3).toEqual({ items: [expect.objectContaining({ id: 'ws_0' })], nextCursor: null });
    const odd = await deps.store.list({ tenantId: 't1', limit: 10, now, label: { key: 'n', value: '1' } });
    expect(odd.items.map((w) => w.id)).toEqual(['ws_3', 'ws_1']);
    expect((await deps.store.list({ tenantId: 't1', limit: 10, now, status: 'failed' })).items).toEqual([]);
    const e = await deps.store
      .list({ tenantId: 't2', limit: 2, now, cursor: p1.nextCursor! })
      .catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('invalid_request');
    await expect(
      deps.store.list({ tenantId: 't1', limit: 2, now, cursor: 'garbage!' }),
    ).rejects.toBeInstanceOf(ApiError);
  });

  it('listDue and listLive see only non-terminal records', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    seedWorkspace(deps, { id: 'ws_due', expiresAt: now - 5 });
    seedWorkspace(deps, { id: 'ws_deadline', status: 'provisioning', deadlineAt: now - 10 });
    seedWorkspace(deps, { id: 'ws_fine' });
    seedWorkspace(deps, { id: 'ws_ended', status: 'stopped', expiresAt: now - 100 });
    expect((await deps.store.listDue(now, 10)).map((w) => w.id)).toEqual(['ws_deadline', 'ws_due']);
    const p1 = await deps.store.listLive(2);
    const p2 = await deps.store.listLive(2, p1.nextCursor!);
    expect([...p1.items, ...p2.items].map((w) => w.id).sort()).toEqual(['ws_deadline', 'ws_due', 'ws_fine']);
    expect(p2.nextCursor).toBeNull();
  });
});

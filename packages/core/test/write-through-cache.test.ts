import { describe, expect, it } from 'vitest';
import {
  VersionConflictError,
  WriteThroughCache,
  acquireWorkspace,
  runCommand,
  type WorkspaceStore,
} from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';
import { FakeProvisioner } from './support/fake-provisioner.js';
import type { MemoryWorkspaceStore } from './support/memory-store.js';

const gets = (store: MemoryWorkspaceStore) => store.calls.filter((c) => c.op === 'get').length;

describe('WriteThroughCache', () => {
  it('answers repeated reads from memory', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const cache = new WriteThroughCache(deps.store);
    const now = deps.clock.now();
    expect(await cache.get(ws.id, { now })).toEqual(ws);
    expect(await cache.get(ws.id, { now })).toEqual(ws);
    expect(gets(deps.store)).toBe(1);
  });

  it('keeps the record of its own writes: an update is read back without the store', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const cache = new WriteThroughCache(deps.store);
    const now = deps.clock.now();
    await cache.get(ws.id, { now });
    const updated = await cache.update(ws.id, ws.version, { status: 'paused' });
    expect(await cache.get(ws.id, { now })).toMatchObject({ status: 'paused', version: updated.version });
    expect(gets(deps.store)).toBe(1);
  });

  it('drops an entry on a lost race, so the next read sees the winner', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const cache = new WriteThroughCache(deps.store);
    const now = deps.clock.now();
    await cache.get(ws.id, { now });
    await deps.store.update(ws.id, ws.version, { status: 'paused' }); // a write that bypassed the cache
    await expect(cache.update(ws.id, ws.version, { status: 'stopping' })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect(await cache.get(ws.id, { now })).toMatchObject({ status: 'paused', version: ws.version + 1 });
  });

  it('still hides expired records unless asked, from a cached entry too', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() + 1000 });
    const cache = new WriteThroughCache(deps.store);
    await cache.get(ws.id, { now: deps.clock.now() });
    const later = deps.clock.now() + 2000;
    expect(await cache.get(ws.id, { now: later })).toBeUndefined();
    expect(await cache.get(ws.id, { now: later, includeExpired: true })).toMatchObject({ id: ws.id });
    expect(gets(deps.store)).toBe(1);
  });

  it('re-reads once an entry is older than its ttl', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const cache = new WriteThroughCache(deps.store, { ttlMs: 0 });
    await cache.get(ws.id, { now: deps.clock.now() });
    await cache.get(ws.id, { now: deps.clock.now() });
    expect(gets(deps.store)).toBe(2);
  });

  it('hands out copies: a caller changing a record cannot change the cache', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const cache = new WriteThroughCache(deps.store);
    const first = (await cache.get(ws.id, { now: deps.clock.now() }))!;
    first.status = 'failed';
    expect((await cache.get(ws.id, { now: deps.clock.now() }))!.status).toBe('ready');
  });

  it('serves the services unchanged: acquire then exec reads the store once, at create', async () => {
    const deps = makeDeps();
    const inner = deps.store;
    const cached: WorkspaceStore = new WriteThroughCache(inner);
    // Every writer goes through the cache, as in the local host (the provisioning steps included).
    const d = { ...deps, store: cached };
    d.provisioner = new FakeProvisioner(() => d);
    const { workspace } = await acquireWorkspace(d, { tenantId: 't1', conversationId: 'c1' });
    const before = gets(inner);
    await runCommand(d, 't1', workspace.id, { cmd: ['true'] });
    await runCommand(d, 't1', workspace.id, { cmd: ['true'] });
    expect(gets(inner)).toBe(before);
  });

  it('knows the bindings it wrote: a repeat create reads no binding, a released one is read afresh', async () => {
    const deps = makeDeps();
    const inner = deps.store;
    const d = { ...deps, store: new WriteThroughCache(inner) };
    d.provisioner = new FakeProvisioner(() => d);
    const bindingReads = () => inner.calls.filter((c) => c.op === 'getBinding').length;
    const first = await acquireWorkspace(d, { tenantId: 't1', conversationId: 'c1' });
    const afterCreate = bindingReads();
    const again = await acquireWorkspace(d, { tenantId: 't1', conversationId: 'c1' });
    expect(again).toMatchObject({ created: false, workspace: { id: first.workspace.id } });
    expect(bindingReads()).toBe(afterCreate);

    await d.store.releaseBinding({ tenantId: 't1', conversationId: 'c1', workspaceId: first.workspace.id });
    expect(await d.store.getBinding('t1', 'c1')).toBeUndefined();
    expect(bindingReads()).toBe(afterCreate + 1);
  });

  it('forgets a binding it lost: the winner of the conversation is read from the store', async () => {
    const deps = makeDeps();
    const cache = new WriteThroughCache(deps.store);
    expect(await cache.getBinding('t1', 'c1')).toBeUndefined(); // cached: none
    const winner = seedWorkspace(deps, { tenantId: 't1', conversationId: 'c1' }); // bound, bypassing the cache
    const loser = { ...winner, id: 'ws_loser' };
    expect(await cache.createForConversation(loser, { replaces: null })).toMatchObject({ ok: false });
    expect(await cache.getBinding('t1', 'c1')).toMatchObject({ workspaceId: winner.id });
  });
});

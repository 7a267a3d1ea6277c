import { describe, expect, it } from 'vitest';
import { ApiError, acquireWorkspace, endWorkspace, syncFilesToBlob } from '@berth/core';
import { makeDeps } from './support/make-deps.js';

const T = 'tenant-1';

describe('acquireWorkspace', () => {
  it('creates a workspace, provisions it and answers it ready', async () => {
    const deps = makeDeps();
    const { workspace, created } = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    expect(created).toBe(true);
    expect(workspace.status).toBe('ready');
    expect(workspace.readyAt).not.toBeNull();
    expect(deps.runtime.callsOf('start')).toEqual([{ op: 'start', workspaceId: workspace.id }]);
    expect(workspace.taskRef).toBe('task-1');
    expect(deps.provisioner.stepsOf(workspace.id)).toEqual([
      'StartContainer',
      'WaitForEndpoint',
      'WaitForHealthy',
      'RestoreFiles',
      'MarkReady',
    ]);
    expect(deps.store.bindings.get(`${T}\u0000c1`)?.workspaceId).toBe(workspace.id);
  });

  it('is idempotent: the same conversation answers the same workspace, created false', async () => {
    const deps = makeDeps();
    const first = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    const second = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    expect(second.created).toBe(false);
    expect(second.workspace.id).toBe(first.workspace.id);
    expect(deps.runtime.callsOf('start')).toHaveLength(1);
    expect(deps.provisioner.started).toHaveLength(1);
  });

  it('keeps tenants apart: the same conversation id of two tenants gets two workspaces', async () => {
    const deps = makeDeps();
    const a = await acquireWorkspace(deps, { tenantId: 'a', conversationId: 'c1' });
    const b = await acquireWorkspace(deps, { tenantId: 'b', conversationId: 'c1' });
    expect(a.workspace.id).not.toBe(b.workspace.id);
    expect(b.created).toBe(true);
  });

  it('20 concurrent acquires of one conversation create exactly one workspace and all answer it', async () => {
    const deps = makeDeps();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => acquireWorkspace(deps, { tenantId: T, conversationId: 'race' })),
    );
    const ids = new Set(results.map((r) => r.workspace.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect([...deps.store.records.values()].filter((w) => w.conversationId === 'race')).toHaveLength(1);
    expect(deps.runtime.callsOf('start')).toHaveLength(1);
    expect(results.every((r) => r.workspace.status === 'ready')).toBe(true);
  });

  it('20 concurrent acquires without waiting also create exactly one', async () => {
    const deps = makeDeps();
    deps.provisioner.mode = 'manual';
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        acquireWorkspace(deps, { tenantId: T, conversationId: 'race', wait: false }),
      ),
    );
    expect(new Set(results.map((r) => r.workspace.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(deps.provisioner.started).toHaveLength(1);
    expect(deps.store.records.size).toBe(1);
  });

  it('gives the conversation of a failed workspace a new one, restoring its files', async () => {
    const deps = makeDeps();
    const first = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    deps.workspaceAgent.filesOf(first.workspace.endpoint!).set('a.txt', Buffer.from('hi'));
    await syncFilesToBlob(deps, first.workspace);
    // The container dies under it.
    await deps.store.update(first.workspace.id, first.workspace.version, {
      status: 'failed',
      terminationReason: 'oom',
    });
    const second = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    expect(second.created).toBe(true);
    expect(second.workspace.id).not.toBe(first.workspace.id);
    expect(second.workspace.status).toBe('ready');
    expect(deps.store.bindings.get(`${T}\u0000c1`)?.workspaceId).toBe(second.workspace.id);
    expect(deps.workspaceAgent.filesOf(second.workspace.endpoint!).get('a.txt')?.toString()).toBe('hi');
  });

  it('gives the conversation a new workspace once the old lease has run out', async () => {
    const deps = makeDeps();
    const first = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', ttlSeconds: 60 });
    deps.clock.advance(61_000);
    const second = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    expect(second.created).toBe(true);
    expect(second.workspace.id).not.toBe(first.workspace.id);
  });

  it('ends an expired, not yet swept workspace first, so its files reach the successor', async () => {
    const deps = makeDeps();
    const first = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', ttlSeconds: 60 });
    deps.workspaceAgent.filesOf(first.workspace.endpoint!).set('late.txt', Buffer.from('written late'));
    deps.clock.advance(61_000);
    const second = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    const old = deps.store.records.get(first.workspace.id)!;
    expect(old).toMatchObject({ status: 'stopped', terminationReason: 'expired' });
    expect(deps.runtime.callsOf('stop').map((c) => c.taskRef)).toContain(first.workspace.taskRef);
    expect(deps.workspaceAgent.filesOf(second.workspace.endpoint!).get('late.txt')?.toString()).toBe(
      'written late',
    );
  });

  it.each([59, 86_401])(
    'refuses ttlSeconds %j outside the configured range, writing nothing',
    async (ttlSeconds) => {
      const deps = makeDeps();
      const e = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', ttlSeconds }).catch(
        (x) => x,
      );
      expect(e).toMatchObject({ code: 'invalid_request', status: 400 });
      expect(e.message).toBe('ttlSeconds: must be an integer from 60 to 86400');
      expect(deps.store.records.size).toBe(0);
    },
  );

  it('takes the lease bounds from config', async () => {
    const deps = makeDeps({ config: { ttl: { minSeconds: 5, maxSeconds: 100 } } });
    const ok = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', ttlSeconds: 5 });
    expect(ok.workspace.ttlSeconds).toBe(5);
    const e = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c2', ttlSeconds: 101 }).catch(
      (x) => x,
    );
    expect(e.code).toBe('invalid_request');
  });

  it('refuses an unknown template as unprocessable (422) without writing anything', async () => {
    const deps = makeDeps();
    const e = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', template: 'gpu' }).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('unprocessable');
    expect(e.status).toBe(422);
    expect(deps.store.records.size).toBe(0);
  });

  it('answers provisioning at once with wait: false', async () => {
    const deps = makeDeps();
    deps.provisioner.mode = 'manual';
    const { workspace, created } = await acquireWorkspace(deps, {
      tenantId: T,
      conversationId: 'c1',
      wait: false,
    });
    expect(created).toBe(true);
    expect(workspace.status).toBe('provisioning');
    expect(deps.provisioner.started).toEqual([{ workspaceId: workspace.id }]);
    const again = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1', wait: false });
    expect(again).toMatchObject({ created: false, workspace: { id: workspace.id, status: 'provisioning' } });
  });

  it('stores the lease, labels and deadline it was asked for', async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    deps.provisioner.mode = 'manual';
    const now = deps.clock.now();
    const { workspace } = await acquireWorkspace(deps, {
      tenantId: T,
      conversationId: 'c1',
      ttlSeconds: 300,
      labels: { team: 'x' },
      wait: false,
    });
    expect(workspace).toMatchObject({
      expiresAt: now + 300_000,
      ttlSeconds: 300,
      labels: { team: 'x' },
      deadlineAt: now + deps.config.provisioning.deadlineMs,
      tenantId: T,
      template: 'default',
      runtime: 'docker',
      taskRef: null,
    });
    // No agent secret is kept with the workspace: each call signs a short-lived token for it.
    expect(workspace).not.toHaveProperty('agentToken');
  });

  it('turns a provisioning failure into provision_failed (503, retry) when waiting', async () => {
    const deps = makeDeps();
    deps.runtime.failStart = Object.assign(new Error('RunTask: capacity'), { name: 'CapacityUnavailable' });
    const e = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' }).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('provision_failed');
    expect(e.status).toBe(503);
    expect(e.details.retryAfterSeconds).toBeGreaterThan(0);
    const ws = [...deps.store.records.values()][0]!;
    expect(ws.status).toBe('failed');
    expect(ws.terminationReason).toBe('provision_failed:CapacityUnavailable');
    // The failed workspace no longer holds the conversation: a retry provisions afresh.
    const retry = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' });
    expect(retry).toMatchObject({ created: true, workspace: { status: 'ready' } });
  });

  it('never answers success with a workspace whose container died before it was ready', async () => {
    const deps = makeDeps();
    deps.provisioner.beforeStep = async (step, state) => {
      if (step !== 'WaitForHealthy') return;
      // The container dies (OOM) while the agent is starting: the task-state event ends the workspace.
      await endWorkspace(deps, state.workspaceId, 'failed', 'oom');
    };
    const e = await acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' }).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('provision_failed');
    expect(e.message).toContain('oom');
  });

  it('a concurrent waiter on a failing workspace also sees provision_failed', async () => {
    const deps = makeDeps();
    let release!: () => void;
    deps.runtime.startGate = new Promise<void>((r) => (release = r));
    deps.runtime.failStart = new Error('boom');
    const a = acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' }).catch((x) => x);
    const b = acquireWorkspace(deps, { tenantId: T, conversationId: 'c1' }).catch((x) => x);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea.code).toBe('provision_failed');
    expect(eb.code).toBe('provision_failed');
  });
});

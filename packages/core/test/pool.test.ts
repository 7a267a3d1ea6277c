import { Readable } from 'node:stream';
import {
  ApiError,
  POOL_TENANT,
  acquireWorkspace,
  parsePoolTargets,
  poolReport,
  poolTarget,
  refillPool,
  saveSnapshot,
  templateVersion,
  type WorkspaceRecord,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { makeDeps, seedWorkspace, type TestDeps } from './support/make-deps.js';
import { tarOf } from './support/tar-files.js';

const pooled = (min: number, max: number, extra: Parameters<typeof makeDeps>[0] = {}) =>
  makeDeps({ ...extra, config: { templates: { default: { pool: { min, max } } }, ...extra.config } });

/** A warm member as a refill leaves it (frozen when `paused`). */
function seedMember(deps: TestDeps, partial: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  return seedWorkspace(deps, {
    tenantId: POOL_TENANT,
    status: 'paused',
    fromPool: true,
    templateVersion: templateVersion(deps.config.templates.default!),
    expiresAt: deps.clock.now() + 3600_000,
    ...partial,
  });
}

const members = (deps: TestDeps) =>
  [...deps.store.records.values()].filter((w) => w.tenantId === POOL_TENANT && w.status !== 'stopped');

describe('claiming a warm member', () => {
  it('answers the member as the conversation workspace: thawed, proxy admitted, files restored, ready', async () => {
    const deps = pooled(1, 1);
    const admitted: string[] = [];
    deps.egress = {
      apply: async () => {},
      admit: async (ws) => void admitted.push(`${ws.id}:${ws.tenantId}`),
    };
    await saveSnapshot(
      deps,
      { id: 'ws_previous', tenantId: 't1', conversationId: 'c1' },
      Readable.from([tarOf([['a.txt', Buffer.from('kept')]])]),
    );
    const member = seedMember(deps);

    // The files are restored by the provisioning machine (entered at RestoreFiles), waited for here.
    const { workspace, created } = await acquireWorkspace(deps, {
      tenantId: 't1',
      conversationId: 'c1',
      labels: { k: 'v' },
    });

    expect(created).toBe(true);
    expect(workspace).toMatchObject({
      id: member.id,
      tenantId: 't1',
      conversationId: 'c1',
      status: 'ready',
      fromPool: true,
      labels: { k: 'v' },
    });
    expect(deps.runtime.calls).toContainEqual(
      expect.objectContaining({ op: 'resume', taskRef: member.taskRef }),
    );
    expect(admitted).toEqual([`${member.id}:t1`]);
    expect(deps.workspaceAgent.filesOf(member.endpoint!).get('a.txt')?.toString()).toBe('kept');
    expect((await deps.store.getBinding('t1', 'c1'))?.workspaceId).toBe(member.id);
    // No cold start: a run of its own, entered at RestoreFiles.
    expect(deps.provisioner.started).toEqual([
      { workspaceId: member.id, claimed: true, run: member.version + 1 },
    ]);
    expect(deps.provisioner.stepsOf(member.id)).toEqual(['RestoreFiles', 'MarkReady']);
  });

  it('never claims a member built from other template settings, or one about to be drained', async () => {
    const deps = pooled(2, 2);
    seedMember(deps, { templateVersion: 'older' });
    seedMember(deps, { expiresAt: deps.clock.now() + 10_000 });
    const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1', wait: false });
    expect(workspace.fromPool).toBe(false);
    expect(deps.provisioner.started).toHaveLength(1);
  });

  it('a member that cannot be thawed fails with the reason, and the next create gets a fresh workspace', async () => {
    const deps = pooled(1, 1);
    const member = seedMember(deps);
    deps.runtime.tasks.delete(member.taskRef!);
    const failing = deps.runtime.resume.bind(deps.runtime);
    deps.runtime.resume = async (ref) => {
      if (ref === member.taskRef) throw Object.assign(new Error('gone'), { name: 'TaskGone' });
      return failing(ref);
    };
    const first = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
    expect(first.workspace).toMatchObject({
      id: member.id,
      status: 'failed',
      terminationReason: 'provision_failed:claim_TaskGone',
    });
    const second = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1', wait: false });
    expect(second.workspace.id).not.toBe(member.id);
  });

  it('a member is claimed once however many creates race for it; the others start cold', async () => {
    const deps = pooled(1, 1);
    const member = seedMember(deps);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        acquireWorkspace(deps, { tenantId: 't1', conversationId: `c${i}`, wait: false }),
      ),
    );
    expect(results.filter((r) => r.workspace.id === member.id)).toHaveLength(1);
    expect(deps.provisioner.started).toHaveLength(7);
  });
});

describe('refilling the pool', () => {
  it('starts members up to the target, at most maxConcurrentStarts at once, and they wait frozen', async () => {
    const deps = pooled(3, 3, {
      config: { pool: { maxConcurrentStarts: 2, freezeWarm: true, thawedAhead: 0 } },
    });
    const first = await refillPool(deps);
    expect(first.templates[0]).toMatchObject({ target: 3, started: 2 });
    // Nothing started while two are still provisioning.
    expect((await refillPool(deps)).templates[0]!.started).toBe(0);
    await deps.provisioner.drain();
    expect((await refillPool(deps)).templates[0]!.started).toBe(1);
    await deps.provisioner.drain();
    const warm = members(deps);
    expect(warm).toHaveLength(3);
    expect(warm.every((m) => m.status === 'paused' && m.readyAt !== null)).toBe(true);
    expect(deps.runtime.calls.filter((c) => c.op === 'pause')).toHaveLength(3);
    // A member holds nothing of anyone's: no files restored, no proxy admitted.
    expect(deps.workspaceAgent.callsOf('archiveIn')).toEqual([]);
  });

  it('keeps pool.thawedAhead members thawed, which claims take first without a thaw on their path', async () => {
    const deps = pooled(3, 3, { config: { pool: { freezeWarm: true, thawedAhead: 1 } } });
    const frozen = [seedMember(deps, { createdAt: deps.clock.now() - 1000 }), seedMember(deps)];
    const thawedOne = seedMember(deps, { status: 'ready' });
    await refillPool(deps);
    // One is thawed already: nothing to do.
    expect(deps.runtime.calls.filter((c) => c.op === 'resume')).toEqual([]);

    const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
    expect(workspace).toMatchObject({ id: thawedOne.id, status: 'ready' });
    expect(deps.runtime.calls.filter((c) => c.op === 'resume')).toEqual([]);

    // The refill thaws the next: the newest frozen member (it has the longest to live).
    await refillPool(deps);
    expect(deps.runtime.calls.filter((c) => c.op === 'resume')).toEqual([
      expect.objectContaining({ taskRef: frozen[1]!.taskRef }),
    ]);
    expect(deps.store.records.get(frozen[1]!.id)).toMatchObject({ status: 'ready', tenantId: POOL_TENANT });
    expect(deps.store.records.get(frozen[0]!.id)).toMatchObject({ status: 'paused' });
  });

  it('drains members from older settings, past their age, or beyond the target, and replaces them', async () => {
    const deps = pooled(1, 1);
    const outdated = seedMember(deps, { templateVersion: 'older' });
    const old = seedMember(deps, { createdAt: deps.clock.now() - 3600_000 });
    const report = await refillPool(deps);
    expect(report.templates[0]).toMatchObject({ drained: 2, started: 1 });
    for (const m of [outdated, old]) {
      expect(deps.store.peek(m.id)).toMatchObject({ status: 'stopped', terminationReason: 'drained' });
      expect(deps.runtime.running()).not.toContain(m.taskRef);
    }
    const fresh1 = seedMember(deps);
    const fresh2 = seedMember(deps);
    await deps.provisioner.drain();
    expect((await refillPool(deps)).templates[0]!.drained).toBe(2); // 3 warm, target 1: the two oldest go
    expect(deps.store.peek(fresh2.id)!.status).not.toBe('stopped');
    void fresh1;
  });

  it('a drain never takes a member a claim got first', async () => {
    const deps = pooled(1, 1);
    const member = seedMember(deps, { templateVersion: 'older' });
    // The refill reads the pool, then a claim wins the member before the drain writes.
    const listPool = deps.store.listPool.bind(deps.store);
    deps.store.listPool = async (template, limit) => {
      const listed = await listPool(template, limit);
      const fresh = deps.store.peek(member.id)!;
      deps.store.records.set(member.id, { ...fresh, tenantId: 't1', version: fresh.version + 1 });
      return listed;
    };
    await refillPool(deps);
    expect(deps.store.peek(member.id)).toMatchObject({ tenantId: 't1', status: 'paused' });
  });
});

describe('adaptive target', () => {
  const base = { min: 1, max: 20, headroom: 1, provisionSeconds: 30, refillIntervalSeconds: 60 };
  it('covers the busiest minute for a start or a refill period, plus headroom, within [min, max]', () => {
    expect(poolTarget({ ...base, demand: [] }).target).toBe(1);
    const minute = (n: number) => ({ minute: 0, claims: n, misses: 0 });
    expect(poolTarget({ ...base, demand: [minute(6), minute(12)] }).target).toBe(13); // 12/min × 60 s + 1
    expect(poolTarget({ ...base, demand: [minute(600)] }).target).toBe(20);
    expect(poolTarget({ ...base, min: 0, max: 0, demand: [minute(50)] }).target).toBe(0);
  });

  it('a burst raises the next refill target; GET /v1/pool reports it with claims and misses', async () => {
    const deps = pooled(1, 10);
    for (let i = 0; i < 5; i++)
      await acquireWorkspace(deps, { tenantId: 't1', conversationId: `c${i}`, wait: false });
    const report = await poolReport(deps);
    expect(report.templates).toEqual([
      { template: 'default', target: 6, warm: 0, provisioning: 0, claims: 0, misses: 5 },
    ]);
  });
});

describe('admission', () => {
  it('a tenant at its quota gets 429 quota_exceeded with Retry-After, and nothing is written', async () => {
    const deps = makeDeps({ config: { admission: { tenantQuota: 2 } } });
    seedWorkspace(deps);
    seedWorkspace(deps);
    const before = deps.store.records.size;
    const refused = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'new' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      code: 'quota_exceeded',
      status: 429,
      details: { retryAfterSeconds: 10 },
    });
    expect(deps.store.records.size).toBe(before);
    // Another tenant is not held back, and a repeat of a live conversation is no new workspace.
    await expect(
      acquireWorkspace(deps, { tenantId: 't2', conversationId: 'new', wait: false }),
    ).resolves.toBeDefined();
  });

  it('a cold start with too long a wait ahead gets 503 capacity with Retry-After, and nothing is written', async () => {
    const deps = makeDeps({ config: { admission: { maxStartWaitMs: 1000 } } });
    deps.startGate = { enter: async () => () => {}, backlogMs: async () => 4200 };
    const refused = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'capacity', status: 503, details: { retryAfterSeconds: 5 } });
    expect(deps.store.records.size).toBe(0);
    expect(await deps.store.getBinding('t1', 'c')).toBeUndefined();
  });
});

describe('BERTH_POOL_TARGETS', () => {
  it('reads fixed sizes and ranges, and names a bad entry', () => {
    expect(parsePoolTargets('default:5, gpu:1-8')).toEqual({
      default: { min: 5, max: 5 },
      gpu: { min: 1, max: 8 },
    });
    expect(parsePoolTargets('')).toEqual({});
    expect(() => parsePoolTargets('default:9-2')).toThrow(/"default:9-2"/);
    expect(() => parsePoolTargets('default')).toThrow(/template:count/);
  });
});

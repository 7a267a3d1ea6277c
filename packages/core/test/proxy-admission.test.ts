import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_RENEWAL_MS,
  keepalive,
  recordActivity,
  renewalDue,
  startContainerStep,
  waitForEndpointStep,
  waitForHealthyStep,
  type EgressController,
  type WorkspaceRecord,
  type WorkspaceStatus,
} from '@berth/core';
import { makeDeps, recordingLogger, seedWorkspace, type TestDeps } from './support/make-deps.js';

/** An egress controller that records each admission with the workspace's stored status at that moment. */
function recordingEgress(deps: TestDeps) {
  const admitted: { ws: WorkspaceRecord; storedStatus: WorkspaceStatus | undefined }[] = [];
  let failures = 0;
  const egress: EgressController & { failNext(n: number): void } = {
    apply: () => Promise.resolve(),
    admit: (ws) => {
      admitted.push({ ws, storedStatus: deps.store.peek(ws.id)?.status });
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error('sidecar not listening yet'));
      }
      return Promise.resolve();
    },
    failNext: (n) => (failures = n),
  };
  deps.egress = egress;
  return { egress, admitted };
}

const provisioning = (deps: TestDeps) =>
  seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });

describe('the proxy is admitted once the agent answers, before the workspace is ready', () => {
  it('a full provisioning admits exactly once, while the workspace is still provisioning, with its endpoint', async () => {
    const deps = makeDeps();
    const { admitted } = recordingEgress(deps);
    const ws = provisioning(deps);
    const final = await deps.provisioner.run({ workspaceId: ws.id });
    expect(final.error).toBeUndefined();
    expect(admitted).toHaveLength(1);
    expect(admitted[0]!.storedStatus).toBe('provisioning');
    expect(admitted[0]!.ws.endpoint).toEqual(deps.runtime.endpointFor('task-1'));
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('not before /health answers', async () => {
    const deps = makeDeps();
    const { admitted } = recordingEgress(deps);
    const ws = provisioning(deps);
    let state = await startContainerStep(deps, { workspaceId: ws.id });
    state = await waitForEndpointStep(deps, state);
    deps.workspaceAgent.healthy = false;
    expect(await waitForHealthyStep(deps, state)).toMatchObject({ ready: false, checks: 1 });
    expect(admitted).toHaveLength(0);
    deps.workspaceAgent.healthy = true;
    expect(await waitForHealthyStep(deps, state)).toMatchObject({ ready: true });
    expect(admitted).toHaveLength(1);
  });

  it('a failed admission is "not yet": the check counts and warns once, and a later check admits', async () => {
    const { log, lines } = recordingLogger();
    const deps = makeDeps({ log });
    const { egress, admitted } = recordingEgress(deps);
    const ws = provisioning(deps);
    let state = await startContainerStep(deps, { workspaceId: ws.id });
    state = await waitForEndpointStep(deps, state);
    egress.failNext(Number.MAX_SAFE_INTEGER);
    const first = await waitForHealthyStep(deps, state);
    expect(first).toMatchObject({ ready: false, checks: 1 });
    // Tried on every poll of the check, reported once.
    expect(admitted.length).toBeGreaterThan(1);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'agent healthy, proxy not admitted yet',
        attributes: { workspaceId: ws.id, error: 'Error: sidecar not listening yet' },
      },
    ]);
    egress.failNext(0);
    expect(await waitForHealthyStep(deps, first)).toMatchObject({ ready: true, checks: 0 });
    expect(deps.store.peek(ws.id)!.status).toBe('provisioning');
  });

  it('a proxy never admitted fails provisioning like an agent that never answers', async () => {
    const deps = makeDeps({ config: { provisioning: { healthTimeoutMs: 1 } } });
    const { egress } = recordingEgress(deps);
    egress.failNext(Number.MAX_SAFE_INTEGER);
    const ws = provisioning(deps);
    await deps.provisioner.run({ workspaceId: ws.id });
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:AgentNotHealthy',
    });
    expect(deps.runtime.running()).toEqual([]);
  });
});

describe('keepalive renews the proxy credential', () => {
  it('after the lease is extended, with the extended record', async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    const { admitted } = recordingEgress(deps);
    const ws = seedWorkspace(deps, { ttlSeconds: 600, expiresAt: deps.clock.now() + 1000 });
    deps.clock.advance(500);
    const after = await keepalive(deps, 't1', ws.id);
    expect(after.expiresAt).toBe(deps.clock.now() + 600_000);
    expect(admitted.map((a) => a.ws)).toEqual([after]);
  });

  it('a failed renewal is a warning: the keepalive still answers with the extended lease', async () => {
    const { log, lines } = recordingLogger();
    const deps = makeDeps({ log });
    deps.clock.freeze();
    const { egress, admitted } = recordingEgress(deps);
    egress.failNext(1);
    const ws = seedWorkspace(deps, { ttlSeconds: 600, expiresAt: deps.clock.now() + 1000 });
    const after = await keepalive(deps, 't1', ws.id);
    expect(after.expiresAt).toBe(deps.clock.now() + 600_000);
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(after.expiresAt);
    expect(admitted).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'proxy credential not renewed',
        attributes: { workspaceId: ws.id, error: 'Error: sidecar not listening yet' },
      },
    ]);
  });

  it('only for a ready workspace: a provisioning one gets its credential when its agent answers', async () => {
    const deps = makeDeps();
    const { admitted } = recordingEgress(deps);
    deps.provisioner.mode = 'manual';
    const ws = provisioning(deps);
    await keepalive(deps, 't1', ws.id);
    expect(admitted).toHaveLength(0);
  });
});

describe('activity alone renews the proxy credential every half day', () => {
  const HALF_DAY = CREDENTIAL_RENEWAL_MS;

  it('renewalDue: the first write in each half-day since readiness', () => {
    expect(renewalDue(0, 1_000, 2_000)).toBe(false);
    expect(renewalDue(0, HALF_DAY - 1, HALF_DAY)).toBe(true);
    expect(renewalDue(0, HALF_DAY, HALF_DAY + 60_000)).toBe(false);
    // Idle across two boundaries: one renewal at the next write.
    expect(renewalDue(0, HALF_DAY - 1, 3 * HALF_DAY)).toBe(true);
    expect(renewalDue(null, 0, 3 * HALF_DAY)).toBe(false);
  });

  it('an activity write past the half-day renews with the fresh record; the writes around it do not', async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    const { admitted } = recordingEgress(deps);
    const readyAt = deps.clock.now();
    const ws = seedWorkspace(deps, { readyAt, ttlSeconds: 3600, expiresAt: readyAt + 3_600_000 });
    const activityEvery = (ms: number) => {
      deps.clock.advance(ms);
      return recordActivity(deps, ws.id);
    };
    await activityEvery(60_000);
    expect(admitted).toHaveLength(0);
    // Kept busy for half a day (the lease follows the activity, so the workspace stays live).
    for (let t = 60_000; t < HALF_DAY - 30 * 60_000; t += 30 * 60_000) await activityEvery(30 * 60_000);
    expect(admitted).toHaveLength(0);
    await activityEvery(50 * 60_000); // within the hour's lease, past the half-day
    expect(admitted).toHaveLength(1);
    expect(admitted[0]!.ws.lastActiveAt).toBe(deps.clock.now());
    await activityEvery(60_000);
    expect(admitted).toHaveLength(1);
  });
});

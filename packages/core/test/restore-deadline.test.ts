import { extendDeadlineForRestore } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

const MiB = 1024 * 1024;

/** A big snapshot must not be failed by the sweep for being big: its restore moves the deadline out. */
describe('extendDeadlineForRestore', () => {
  it('gives a 5 GiB restore its worst-case transfer time on top of the plain deadline', async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    const now = deps.clock.now();
    const ws = seedWorkspace(deps, { status: 'provisioning', deadlineAt: now + 1000 });
    await extendDeadlineForRestore(deps, ws.id, 5 * 1024 * MiB);
    const { deadlineMs, restoreBytesPerSecond } = deps.config.provisioning;
    const expected = Math.min(
      900_000,
      Math.ceil(((5 * 1024 * MiB) / restoreBytesPerSecond) * 1000) + deadlineMs,
    );
    expect((await deps.store.get(ws.id, { now }))?.deadlineAt).toBe(now + expected);
    expect(expected).toBeGreaterThan(deadlineMs);
  });

  it('never shortens a deadline and leaves a workspace that moved on alone', async () => {
    const deps = makeDeps();
    deps.clock.freeze();
    const now = deps.clock.now();
    const far = seedWorkspace(deps, { status: 'provisioning', deadlineAt: now + 3_600_000 });
    await extendDeadlineForRestore(deps, far.id, 1);
    expect((await deps.store.get(far.id, { now }))?.deadlineAt).toBe(now + 3_600_000);
    const gone = seedWorkspace(deps, { status: 'failed', deadlineAt: null, terminationReason: 'deleted' });
    await extendDeadlineForRestore(deps, gone.id, 5 * 1024 * MiB);
    expect((await deps.store.get(gone.id, { now, includeExpired: true }))?.deadlineAt).toBeNull();
  });
});

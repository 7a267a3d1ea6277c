import { describe, expect, it } from 'vitest';
import { WORKSPACE_STATUSES, canTransition, isLive, isTerminal, type WorkspaceStatus } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

describe('lifecycle transitions (ARCHITECTURE.md §3)', () => {
  // provisioning → ready ⇄ paused, ready → stopping → stopped, any → failed; provisioning and paused may be
  // deleted (→ stopping). Nothing else.
  const allowed: Record<WorkspaceStatus, WorkspaceStatus[]> = {
    // A warm pool member is frozen as it gets ready.
    provisioning: ['ready', 'paused', 'stopping', 'failed'],
    ready: ['paused', 'stopping', 'failed'],
    paused: ['ready', 'provisioning', 'stopping', 'failed'],
    stopping: ['stopped', 'failed'],
    stopped: [],
    failed: [],
  };

  for (const from of WORKSPACE_STATUSES) {
    for (const to of WORKSPACE_STATUSES) {
      const expected = allowed[from].includes(to);
      it(`${from} → ${to} is ${expected ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(expected);
      });
    }
  }

  it('every non-terminal state may fail; terminal states go nowhere', () => {
    for (const s of WORKSPACE_STATUSES) {
      if (isTerminal(s)) expect(WORKSPACE_STATUSES.filter((t) => canTransition(s, t))).toEqual([]);
      else expect(canTransition(s, 'failed')).toBe(true);
    }
    expect(WORKSPACE_STATUSES.filter(isTerminal)).toEqual(['stopped', 'failed']);
  });
});

describe('isLive', () => {
  const deps = makeDeps();
  const now = deps.clock.now();

  it.each(['provisioning', 'ready', 'paused'] as const)('%s before its lease ends is live', (status) => {
    expect(isLive(seedWorkspace(deps, { status, expiresAt: now + 1 }), now)).toBe(true);
  });

  it.each(['provisioning', 'ready', 'paused'] as const)('%s whose lease ended is not live', (status) => {
    expect(isLive(seedWorkspace(deps, { status, expiresAt: now }), now)).toBe(false);
    expect(isLive(seedWorkspace(deps, { status, expiresAt: now - 1 }), now)).toBe(false);
  });

  it.each(['stopping', 'stopped', 'failed'] as const)('%s is never live', (status) => {
    expect(isLive(seedWorkspace(deps, { status, expiresAt: now + 60_000 }), now)).toBe(false);
  });
});

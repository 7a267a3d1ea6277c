import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkspaceRecord } from '@berth/core';
import { makeDeps, seedWorkspace } from '../../../packages/core/test/support/make-deps.js';
import { EndedWorkspaceDirs, filesAreSaved } from '../../src/host/ended-workspace-dirs.js';

/** Ended workspaces' disks must not pile up on the host, and files not yet in a snapshot must never go. */
describe('EndedWorkspaceDirs', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function setup(records: Partial<WorkspaceRecord>[], extraDirs: string[] = []) {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-ended-'));
    const deps = makeDeps();
    deps.clock.freeze();
    const seeded = records.map((r) => seedWorkspace(deps, r));
    for (const id of [...seeded.map((w) => w.id), ...extraDirs]) await mkdir(path.join(dir, id));
    const removed: string[] = [];
    const gc = new EndedWorkspaceDirs({
      workspacesDir: dir,
      deps,
      graceMs: 30_000,
      remove: async (id) => {
        removed.push(id);
        await rm(path.join(dir, id), { recursive: true });
      },
    });
    return { deps, seeded, removed, gc };
  }

  it('removes the dirs of stopped, provision-failed and crashed workspaces after the grace period, once', async () => {
    const s = await setup(
      [
        { status: 'stopped', terminationReason: 'deleted' },
        { status: 'failed', terminationReason: 'provision_failed:host_restarted' },
        { status: 'failed', terminationReason: 'oom' },
        { status: 'failed', terminationReason: 'task_stopped:killed' },
        { status: 'ready' },
      ],
      ['ws_forgotten', '.spare-disks'],
    );
    expect(await s.gc.collect()).toEqual([]); // first sight: the grace period starts
    s.deps.clock.advance(29_000);
    expect(await s.gc.collect()).toEqual([]);
    s.deps.clock.advance(2_000);
    const [stopped, provision, oom, killed, ready] = s.seeded;
    expect((await s.gc.collect()).sort()).toEqual(
      [stopped!.id, provision!.id, oom!.id, killed!.id, 'ws_forgotten'].sort(),
    );
    expect(s.removed).not.toContain(ready!.id);
    expect(s.removed).not.toContain('.spare-disks');
    expect(await s.gc.collect()).toEqual([]);
  });

  it('keeps the dirs of a workspace with a container, and of ended ones whose files were never salvaged', async () => {
    const s = await setup([
      { status: 'failed', terminationReason: 'orphan' },
      { status: 'failed', terminationReason: 'task_stopped:host_check_failed: agent.sock is a symlink' },
      { status: 'stopped', terminationReason: 'deleted' },
    ]);
    const withContainer = s.seeded[2]!;
    await s.deps.runtime.start({
      workspaceId: withContainer.id,
      tenantId: withContainer.tenantId,
      template: 'default',
      image: 'img',
      limits: { cpus: 1, memoryMiB: 256, pids: 10, diskMiB: 64 },
    });
    await s.gc.collect();
    s.deps.clock.advance(60_000);
    expect(await s.gc.collect()).toEqual([]);
  });

  it('filesAreSaved: the rule on its own', () => {
    expect(filesAreSaved({ status: 'ready', terminationReason: null })).toBe(false);
    expect(filesAreSaved({ status: 'stopping', terminationReason: 'deleted' })).toBe(false);
    expect(filesAreSaved({ status: 'stopped', terminationReason: 'expired' })).toBe(true);
    expect(filesAreSaved({ status: 'failed', terminationReason: 'orphan' })).toBe(false);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceDirs } from '../../src/runtime/paths.js';
import {
  UnsoundWorkspaceError,
  WorkspaceDisks,
  mountedDisksIn,
  unmountAllUnder,
} from '../../src/runtime/workspace-disk.js';

// Real loop mounts need root and loop devices (as `npm test` has in CI); elsewhere the plain mode is tested.
const canLoop = process.getuid?.() === 0 && existsSync('/dev/loop-control');
const MiB = 1024 * 1024;
const states: string[] = [];

async function newState(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-disk-'));
  states.push(dir);
  return dir;
}

const mounted = (dir: string) => spawnSync('mountpoint', ['-q', dir]).status === 0;

afterAll(async () => {
  for (const dir of states) {
    await unmountAllUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

describe.runIf(canLoop)('WorkspaceDisks (loop mounts)', () => {
  const disks = new WorkspaceDisks({ mode: 'loop' });

  it('makes a sparse ext4 of the quota, root-owned, with files/ and agent/ for uid 1000; writes past it get ENOSPC', async () => {
    const dirs = workspaceDirs(await newState(), 'ws_quota');
    const t0 = performance.now();
    await disks.prepare(dirs, 32);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(mounted(dirs.disk)).toBe(true);
    expect((await stat(dirs.image)).size).toBe(32 * MiB);
    // Sparse: a few MB of metadata at most, not the quota.
    expect((await stat(dirs.image)).blocks * 512).toBeLessThan(8 * MiB);
    expect(await readdir(dirs.disk)).toEqual(expect.arrayContaining(['agent', 'files']));
    expect(await readdir(dirs.disk)).not.toContain('lost+found');
    const root = await lstat(dirs.disk);
    expect([root.uid, root.mode & 0o777]).toEqual([0, 0o755]);
    for (const d of [dirs.files, dirs.agent]) expect((await lstat(d)).uid).toBe(1000);
    const host = await lstat(dirs.host);
    expect([host.uid, host.mode & 0o777]).toEqual([0, 0o755]);

    const dd = spawnSync('dd', ['if=/dev/zero', `of=${dirs.files}/big`, 'bs=1M', 'count=64'], {
      encoding: 'utf8',
    });
    expect(dd.status).not.toBe(0);
    expect(dd.stderr).toMatch(/No space left on device/);
    // The image never grows past the quota on the host.
    expect((await stat(dirs.image)).blocks * 512).toBeLessThanOrEqual(32 * MiB);
  });

  it('release unmounts and keeps the files; prepare mounts the same image again; remove deletes it all', async () => {
    const dirs = workspaceDirs(await newState(), 'ws_cycle');
    await disks.prepare(dirs, 32);
    await writeFile(path.join(dirs.files, 'keep.txt'), 'kept');
    await disks.release(dirs);
    expect(mounted(dirs.disk)).toBe(false);
    expect(existsSync(path.join(dirs.files, 'keep.txt'))).toBe(false);
    await disks.release(dirs); // idempotent
    await disks.prepare(dirs, 32);
    expect(mounted(dirs.disk)).toBe(true);
    expect(execFileSync('cat', [path.join(dirs.files, 'keep.txt')], { encoding: 'utf8' })).toBe('kept');
    await disks.remove(dirs);
    expect(mounted(dirs.disk)).toBe(false);
    expect(existsSync(dirs.root)).toBe(false);
    expect(execFileSync('losetup', ['-j', dirs.image], { encoding: 'utf8' }).trim()).toBe('');
  });

  it('check mounts an existing image again (after a machine restart) and accepts what Berth made', async () => {
    const state = await newState();
    const dirs = workspaceDirs(state, 'ws_check');
    await disks.prepare(dirs, 32);
    execFileSync('umount', [dirs.disk]); // what a reboot leaves: the image, no mount
    expect(await mountedDisksIn(path.join(state, 'workspaces'))).toEqual([]);
    await disks.check(dirs);
    expect(mounted(dirs.disk)).toBe(true);
    expect(await mountedDisksIn(path.join(state, 'workspaces'))).toEqual(['ws_check']);
    await disks.release(dirs);
  });

  it('takes a formatted spare when one waits (two runtimes on one state dir share none), drops dead ones', async () => {
    const state = await newState();
    const spareDir = path.join(state, 'workspaces', '.spare-disks');
    await mkdir(spareDir, { recursive: true });
    await writeFile(path.join(spareDir, '999999999-32-deadbeef.img'), 'half made by a dead process');
    const a = new WorkspaceDisks({ mode: 'loop', spareDir, spareDelayMs: 0 });
    const b = new WorkspaceDisks({ mode: 'loop', spareDir, spareDelayMs: 0 });
    const all = Array.from({ length: 6 }, (_, i) => workspaceDirs(state, `ws_spare${i}`));
    // One after the other per runtime (each start takes the spare the previous one left), both at once.
    await Promise.all(
      [a, b].map(async (d, k) => {
        for (const dirs of all.filter((_, i) => i % 2 === k)) await d.prepare(dirs, 32);
      }),
    );
    for (const dirs of all) {
      expect(mounted(dirs.disk)).toBe(true);
      await writeFile(path.join(dirs.files, 'x'), 'x');
      await a.release(dirs);
    }
    const spares = async () => (await readdir(spareDir)).filter((n) => n.endsWith('.img'));
    for (let i = 0; i < 60 && (await spares()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const left = await spares();
    expect(left).not.toContain('999999999-32-deadbeef.img');
    expect(left).toHaveLength(2); // one waiting per runtime
    expect(left.every((n) => n.startsWith(`${process.pid}-32-`))).toBe(true);
    const next = workspaceDirs(state, 'ws_spare_next');
    await a.prepare(next, 32);
    // It took one of the two as its image (a new one may already be on its way).
    expect(left.filter((n) => !existsSync(path.join(spareDir, n)))).toHaveLength(1);
    expect((await readdir(next.disk)).sort()).toEqual(['agent', 'files']);
    await a.release(next);
  });

  it('check refuses dirs that are not what Berth made', async () => {
    const state = await newState();
    const good = workspaceDirs(state, 'ws_good');
    await disks.prepare(good, 32);
    await disks.check(good);

    const noImage = workspaceDirs(state, 'ws_noimage');
    await disks.prepare(noImage, 32);
    await disks.release(noImage);
    await rm(noImage.image);
    await expect(disks.check(noImage)).rejects.toThrow(/disk.img is missing/);

    const hostLink = workspaceDirs(state, 'ws_hostlink');
    await disks.prepare(hostLink, 32);
    await rename(hostLink.host, `${hostLink.host}.old`);
    await symlink('/tmp', hostLink.host);
    await expect(disks.check(hostLink)).rejects.toThrow(/host is a symlink/);

    const open = workspaceDirs(state, 'ws_open');
    await disks.prepare(open, 32);
    await chmod(open.host, 0o777);
    await expect(disks.check(open)).rejects.toBeInstanceOf(UnsoundWorkspaceError);

    // An old layout (a `run/` dir, no host/ or disk/): refused, not adopted.
    const old = workspaceDirs(state, 'ws_old');
    await mkdir(path.join(old.root, 'run'), { recursive: true });
    await expect(disks.check(old)).rejects.toThrow(/host is missing/);
  });
});

describe('WorkspaceDisks (plain directories)', () => {
  it('makes host/, files/ and agent/ without a mount, warns once why', async () => {
    const warnings: string[] = [];
    const disks = new WorkspaceDisks({
      plainBecause: 'test',
      warn: (message, extra) => warnings.push(`${message} ${JSON.stringify(extra)}`),
    });
    const dirs = workspaceDirs(await newState(), 'ws_plain');
    await disks.prepare(dirs, 32);
    await disks.prepare(workspaceDirs(path.dirname(path.dirname(dirs.root)), 'ws_plain2'), 32);
    expect(await disks.mode()).toBe('plain');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no disk quota.*"reason":"test"/);
    expect(mounted(dirs.disk)).toBe(false);
    expect(existsSync(dirs.image)).toBe(false);
    for (const d of [dirs.files, dirs.agent, dirs.host]) expect((await lstat(d)).isDirectory()).toBe(true);
    await disks.check(dirs);
    await disks.remove(dirs);
    expect(existsSync(dirs.root)).toBe(false);
  });
});

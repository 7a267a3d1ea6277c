import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  access,
  chmod,
  chown,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import path from 'node:path';
import { AGENT_GID, AGENT_UID } from './hardening.js';
import type { WorkspaceDirs } from './paths.js';

/**
 * `loop`: each workspace gets its own ext4 filesystem (a sparse image of the template's diskMiB, loop-mounted),
 * so writing past the quota fails inside the workspace with ENOSPC and the host's disk grows by at most the
 * quota. `plain`: ordinary directories, no limit (no root, no loop devices, or an engine that cannot see our
 * mounts).
 */
export type DiskMode = 'loop' | 'plain';

export interface WorkspaceDisksOptions {
  /** Default `auto`: loop when this process can make loop mounts, else plain (with one warning). */
  mode?: 'auto' | DiskMode;
  /** Why `auto` must not use loop mounts even if it could (e.g. Docker-in-Docker); plain, with a warning. */
  plainBecause?: string;
  /**
   * A root-only dir (on the same filesystem as the workspaces) where one formatted image per size waits for
   * the next workspace, so a cold start only renames and mounts (mkfs runs in the background). Unset: none.
   */
  spareDir?: string;
  /** How long after a spare was taken the next one is made (default 1000 ms: not while a container starts). */
  spareDelayMs?: number;
  /** The one warning when falling back to plain directories. */
  warn?: (message: string, extra: Record<string, unknown>) => void;
}

/** Something in a workspace's host dirs is not what Berth made: that workspace must not be (re)used. */
export class UnsoundWorkspaceError extends Error {
  override name = 'UnsoundWorkspaceError';
}

// mount/mkfs/umount are quick (~10 ms); the bound is for a wedged loop driver or a hung filesystem.
const COMMAND_TIMEOUT_MS = 20_000;
// Lazy init and no discard pass: nothing is written but the metadata that must be (a few MB, ~20 ms).
const MKFS_ARGS = ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard'];
// exec stays possible (compilers, test runners); set-uid files and device nodes mean nothing on it.
const MOUNT_OPTIONS = 'loop,nosuid,nodev,discard';
// Root's PATH may lack the sbin dirs (e.g. under npm or a service manager); mkfs.ext4 lives there.
const TOOL_PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean).join(':');
const MiB = 1024 * 1024;

/**
 * Per-workspace filesystems (paths.ts has the layout). Creating one costs a sparse file, mkfs.ext4 with lazy
 * init and a loop mount, a few MB of real disk; with a spare image waiting (made in the background) only a
 * rename and the mount: ~30 ms median in a cold start here, ~50 ms without a spare. The image outlives the
 * container (files survive stop, for salvage) and is mounted again when needed; `remove` deletes it.
 * `mount -o loop` sets autoclear: unmounting detaches the loop device.
 */
export class WorkspaceDisks {
  private modeOnce: Promise<DiskMode> | undefined;
  /** One operation at a time per workspace: a prepare must not race a release of the same disk. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** size in MiB → a formatted image waiting in spareDir. */
  private readonly spares = new Map<number, string>();
  /** Sizes whose next spare is being made. */
  private readonly refilling = new Set<number>();
  private spareDirReady: Promise<void> | undefined;

  constructor(private readonly opts: WorkspaceDisksOptions = {}) {}

  /** Decided once per process. */
  mode(): Promise<DiskMode> {
    this.modeOnce ??= this.decideMode();
    return this.modeOnce;
  }

  /**
   * Makes a workspace's dirs ready for its container: the root-owned `host/`, the filesystem (created, or the
   * existing image mounted again) and `files/` + `agent/` on it, owned by the agent's uid. Throws
   * UnsoundWorkspaceError when something there is not what Berth made.
   */
  prepare(dirs: WorkspaceDirs, sizeMiB: number): Promise<void> {
    return this.serial(dirs.root, async () => {
      await mkdir(dirs.root, { recursive: true, mode: 0o755 });
      await assertOwnDir(dirs.root);
      await ensureOwnDir(dirs.host);
      await ensureOwnDir(dirs.disk);
      if ((await this.mode()) === 'loop') {
        const fresh = await this.mountDisk(dirs, sizeMiB);
        // mkfs makes it; nobody here uses it (and it would be a root-owned dir inside the workspace's disk).
        if (fresh) await rmdir(path.join(dirs.disk, 'lost+found')).catch(() => undefined);
        await assertOwnDir(dirs.disk);
      }
      await ensureAgentDir(dirs.files);
      await ensureAgentDir(dirs.agent);
    });
  }

  /**
   * For a workspace whose container is still running (after a restart of Berth or of the machine): its disk
   * is mounted again if it is not, and every dir is checked. Throws UnsoundWorkspaceError with the reason.
   */
  check(dirs: WorkspaceDirs): Promise<void> {
    return this.serial(dirs.root, async () => {
      await assertOwnDir(dirs.root);
      await assertOwnDir(dirs.host);
      await assertOwnDir(dirs.disk);
      if ((await this.mode()) === 'loop' && !(await isMountPoint(dirs.disk))) {
        if (!(await exists(dirs.image))) throw new UnsoundWorkspaceError(`${dirs.image} is missing`);
        await mountImage(dirs.image, dirs.disk);
        await assertOwnDir(dirs.disk);
      }
      await assertAgentDir(dirs.files);
      await assertAgentDir(dirs.agent);
    });
  }

  /** After the container is gone: unmounts (the loop device goes with it) and keeps the image. */
  release(dirs: WorkspaceDirs): Promise<void> {
    return this.serial(dirs.root, () => unmountIfMounted(dirs.disk));
  }

  /** Unmounts, detaches and deletes the workspace's dirs and image (its files too). */
  remove(dirs: WorkspaceDirs): Promise<void> {
    return this.serial(dirs.root, async () => {
      await unmountIfMounted(dirs.disk);
      // Never rm -r into a mounted filesystem: that would be the files of a live workspace.
      if (await isMountPoint(dirs.disk)) throw new Error(`${dirs.disk} is still mounted`);
      await rm(dirs.root, { recursive: true, force: true });
    });
  }

  private async mountDisk(dirs: WorkspaceDirs, sizeMiB: number): Promise<boolean> {
    if (await isMountPoint(dirs.disk)) return false;
    let fresh = false;
    if (!(await exists(dirs.image))) {
      const spare = this.takeSpare(sizeMiB);
      // The target name is ours (in root-owned `<root>`); a spare that vanished means making one here.
      const took = spare !== null && (await renameNoReplace(spare, dirs.image));
      if (!took) await createImage(dirs.image, sizeMiB);
      fresh = true;
    }
    // libmount reuses a loop device already attached to this image (e.g. held by a container after a lazy
    // unmount): never two ext4 instances on one image.
    await mountImage(dirs.image, dirs.disk);
    return fresh;
  }

  /**
   * The waiting spare of this size, if one is ready (never waits for one). The next is made a little later,
   * so its mkfs does not compete with the container start this disk is for.
   */
  private takeSpare(sizeMiB: number): string | null {
    if (!this.opts.spareDir) return null;
    const ready = this.spares.get(sizeMiB) ?? null;
    this.spares.delete(sizeMiB);
    if (!this.refilling.has(sizeMiB)) {
      this.refilling.add(sizeMiB);
      setTimeout(() => {
        void this.makeSpare(sizeMiB)
          .then((image) => image && this.spares.set(sizeMiB, image))
          .finally(() => this.refilling.delete(sizeMiB));
      }, this.opts.spareDelayMs ?? 1000).unref();
    }
    return ready;
  }

  private async makeSpare(sizeMiB: number): Promise<string | null> {
    const dir = this.opts.spareDir!;
    this.spareDirReady ??= ensureOwnDir(dir).then(() => removeDeadSpares(dir));
    try {
      await this.spareDirReady;
      // Named after this process: another Berth process on the state dir (tests) leaves it alone.
      const image = path.join(dir, `${process.pid}-${sizeMiB}-${randomBytes(6).toString('hex')}.img`);
      await createImage(image, sizeMiB);
      return image;
    } catch (e) {
      this.opts.warn?.('making a spare workspace disk failed', { error: String(e) });
      return null;
    }
  }

  private async decideMode(): Promise<DiskMode> {
    if (this.opts.mode && this.opts.mode !== 'auto') return this.opts.mode;
    const why = this.opts.plainBecause ?? (await whyNoLoopMounts());
    if (!why) return 'loop';
    this.opts.warn?.(
      'workspace disks are plain directories: no disk quota, a workspace can fill the host disk',
      { reason: why },
    );
    return 'plain';
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }
}

/** Why loop mounts cannot work here, or null when they can. */
async function whyNoLoopMounts(): Promise<string | null> {
  if (process.platform !== 'linux') return `${process.platform} is not Linux`;
  if (process.getuid?.() !== 0) return 'Berth does not run as root';
  if (!(await exists('/dev/loop-control'))) return 'no loop devices (/dev/loop-control is missing)';
  try {
    await access('/dev/loop-control', fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    return 'no access to /dev/loop-control';
  }
  for (const tool of ['mkfs.ext4', 'mount', 'umount']) {
    try {
      await command(tool, ['-V']);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return `${tool} is not installed (e2fsprogs, util-linux)`;
    }
  }
  return null;
}

/** False when `from` is gone. */
async function renameNoReplace(from: string, to: string): Promise<boolean> {
  if (await exists(to)) throw new UnsoundWorkspaceError(`${to} appeared while a disk was being made`);
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Spares made by processes that are gone (maybe half made when they died). */
async function removeDeadSpares(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(name.split('-')[0]);
    const ownerAlive = Number.isInteger(pid) && pid > 0 && isAlive(pid);
    if (!ownerAlive) await rm(path.join(dir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A sparse file of the quota's size and an ext4 on it. Removed again when mkfs fails. */
async function createImage(image: string, sizeMiB: number): Promise<void> {
  // wx: never write through something already at that name.
  const handle = await open(image, 'wx', 0o600);
  try {
    await handle.truncate(sizeMiB * MiB);
  } finally {
    await handle.close();
  }
  try {
    await command('mkfs.ext4', [...MKFS_ARGS, image]);
  } catch (e) {
    await rm(image, { force: true });
    throw e;
  }
}

async function mountImage(image: string, dir: string): Promise<void> {
  await command('mount', ['-o', MOUNT_OPTIONS, image, dir]);
}

async function unmountIfMounted(dir: string): Promise<void> {
  if (!(await isMountPoint(dir))) return;
  try {
    await command('umount', [dir]);
  } catch {
    // Busy (a salvage tar still reading, a shell in the dir): detach now, free when the last user goes.
    await command('umount', ['--lazy', dir]);
  }
}

/** Unmounts every mount under `dir` (deepest first): test clean-up, and a state dir about to be deleted. */
export async function unmountAllUnder(dir: string): Promise<void> {
  const base = path.resolve(dir) + path.sep;
  const points = (await mountPoints()).filter((p) => p.startsWith(base));
  points.sort((a, b) => b.length - a.length);
  for (const p of points) await command('umount', ['--lazy', p]).catch(() => undefined);
}

/** The names `<name>` of the mount points `<dir>/<name>/disk` (the workspaces whose disk is mounted). */
export async function mountedDisksIn(dir: string): Promise<string[]> {
  const base = path.resolve(dir) + path.sep;
  return (await mountPoints())
    .filter((p) => p.startsWith(base))
    .map((p) => p.slice(base.length).split(path.sep))
    .filter((parts) => parts.length === 2 && parts[1] === 'disk')
    .map((parts) => parts[0]!);
}

async function mountPoints(): Promise<string[]> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  // Field 5 is the mount point, with space, tab, newline and backslash escaped as \ooo.
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** A mount point sits on another device than its parent. */
async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([lstat(dir), stat(path.dirname(dir))]);
    return self.isDirectory() && self.dev !== parent.dev;
  } catch {
    return false;
  }
}

const ownUid = () => process.getuid?.() ?? 0;

/** A directory only Berth may write (in one only Berth may write): made if missing, then checked. */
export async function ensureOwnDir(dir: string): Promise<void> {
  await mkdir(dir, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  await assertOwnDir(dir);
}

async function assertOwnDir(dir: string): Promise<void> {
  const info = await lstatOrNull(dir);
  if (!info?.isDirectory()) throw new UnsoundWorkspaceError(`${dir} is ${describe(info)}, not a directory`);
  if (info.uid !== ownUid() || (info.mode & 0o022) !== 0) {
    throw new UnsoundWorkspaceError(
      `${dir} is owned by uid ${info.uid} with mode ${(info.mode & 0o7777).toString(8)}: only Berth may write it`,
    );
  }
}

/**
 * A directory the agent writes, made by us if missing. Its parent is ours (checked first), so nobody can swap
 * it between mkdir and chown; as non-root we cannot chown, so it is opened to everyone instead.
 */
async function ensureAgentDir(dir: string): Promise<void> {
  let made = true;
  await mkdir(dir, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
    made = false;
  });
  if (made) await chown(dir, AGENT_UID, AGENT_GID).catch(() => chmod(dir, 0o777));
  await assertAgentDir(dir);
}

async function assertAgentDir(dir: string): Promise<void> {
  const info = await lstatOrNull(dir);
  if (!info?.isDirectory()) throw new UnsoundWorkspaceError(`${dir} is ${describe(info)}, not a directory`);
}

/** Only a socket passes (a symlink, FIFO or file put in its place, or nothing, does not). */
export async function assertSocket(p: string): Promise<void> {
  const info = await lstatOrNull(p);
  if (!info?.isSocket()) throw new UnsoundWorkspaceError(`${p} is ${describe(info)}, not a socket`);
}

async function lstatOrNull(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function describe(info: Awaited<ReturnType<typeof lstatOrNull>>): string {
  if (!info) return 'missing';
  if (info.isSymbolicLink()) return 'a symlink';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isFile()) return 'a file';
  if (info.isDirectory()) return 'a directory';
  return 'something else';
}

async function exists(p: string): Promise<boolean> {
  return (await lstatOrNull(p)) !== null;
}

/** Runs a tool with a timeout; throws with its stderr when it fails. */
function command(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, PATH: TOOL_PATH } },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const detail = String(stderr).trim() || error.message;
        reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${detail}`), { code: error.code }));
      },
    );
  });
}

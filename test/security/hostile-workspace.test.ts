import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelKeys, managedFilter } from '../../local-docker/src/runtime/labels.js';
import { workspaceDirs } from '../../local-docker/src/runtime/paths.js';
import { mountedDisksIn } from '../../local-docker/src/runtime/workspace-disk.js';
import { startBerthProcess } from '../bench/berth-process.js';
import { removeBerthLeftovers } from '../support/leftovers.js';

// A workspace is hostile (ARCHITECTURE.md §4 Trust). Against a real Berth process (`npm start`'s main.js) on
// real Docker: (a) its disk quota holds and the host's disk does not pay for what it writes; (b) it rewrites
// everything it can write in its dirs (and tries the read-only one), Berth is SIGKILLed and started again:
// Berth starts, that workspace is failed with a reason, another workspace keeps working, and no host file
// outside the workspace's dirs changed mode, owner or content.
// Needs root and loop devices for the quota (what `npm test` has in CI); elsewhere Berth runs without one.
const canLoop = process.getuid?.() === 0 && lstatSync('/dev/loop-control', { throwIfNoEntry: false });
const QUOTA_MIB = 64;
const MiB = 1024 * 1024;
const KEY = `key-${randomBytes(12).toString('hex')}`;
const LABEL_PREFIX = `e2e.berth.h${randomBytes(4).toString('hex')}`;
const docker = new Dockerode();

let stateDir = '';
let canaryDir = '';
let berth: Awaited<ReturnType<typeof startBerthProcess>> | undefined;

const start = async () => {
  berth = await startBerthProcess({
    stateDir,
    apiKeys: `t:${KEY}`,
    labelPrefix: LABEL_PREFIX,
    env: { BERTH_DISK_MIB: String(QUOTA_MIB), BERTH_SWEEP_INTERVAL_MS: '500' },
  });
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await berth!.request(method, p, body, 60_000);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function create(conversationId: string): Promise<string> {
  const r = await api('POST', '/v1/workspaces', { conversationId });
  if (r.status !== 200 && r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.id as string;
}

async function sh(id: string, script: string) {
  const r = await api('POST', `/v1/workspaces/${id}/exec`, { cmd: ['sh', '-c', script], timeoutMs: 60_000 });
  if (r.status !== 200) throw new Error(`exec in ${id}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as { exitCode: number; stdout: string; stderr: string };
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Allocated bytes under a dir on the host's filesystem (what its disk pays; -x: not inside the mounted disks). */
const duBytes = (dir: string) =>
  Number(execFileSync('du', ['-sx', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]);

/** What must not change: type, mode and owner of each canary, and a file's size, mtime and content. */
function fingerprint(paths: string[]): Record<string, string> {
  return Object.fromEntries(
    paths.map((p) => {
      const s = lstatSync(p);
      const mode = `${s.isDirectory() ? 'd' : s.isFile() ? 'f' : '?'}${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid}`;
      if (!s.isFile()) return [p, mode];
      const hash = createHash('sha256').update(readFileSync(p)).digest('hex');
      return [p, `${mode} ${s.size} ${s.mtimeMs} ${hash}`];
    }),
  );
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'berth-hostile-'));
  canaryDir = mkdtempSync(path.join(tmpdir(), 'berth-canary-'));
  await start();
});

afterAll(async () => {
  await berth?.stop().catch(() => undefined);
  await removeBerthLeftovers({ docker, labelPrefix: LABEL_PREFIX, stateDir });
  await rm(canaryDir, { recursive: true, force: true }).catch(() => undefined);
});

describe.runIf(canLoop)('a disk quota per workspace', () => {
  it(`dd past ${QUOTA_MIB} MiB fails with ENOSPC inside; the host's disk grows by at most the quota`, async () => {
    const id = await create(`quota-${randomBytes(4).toString('hex')}`);
    const dirs = workspaceDirs(stateDir, id);
    const hostFreeBefore = statfsSync(stateDir).bavail * statfsSync(stateDir).bsize;
    const workspacesBefore = duBytes(path.join(stateDir, 'workspaces'));

    // 1 GiB asked, 16x the quota: without one, the host would pay all of it.
    const dd = await sh(id, 'dd if=/dev/zero of=/workspace/big bs=1M count=1024 2>&1; echo "exit=$?"');
    expect(dd.stdout).toMatch(/No space left on device/);
    expect(dd.stdout).not.toMatch(/exit=0/);
    const written = Number((await sh(id, 'stat -c %s /workspace/big')).stdout.trim());
    expect(written).toBeGreaterThan((QUOTA_MIB / 2) * MiB); // it did fill the disk
    expect(written).toBeLessThanOrEqual(QUOTA_MIB * MiB);

    const grown = duBytes(path.join(stateDir, 'workspaces')) - workspacesBefore;
    const imageBytes = lstatSync(dirs.image).blocks * 512;
    const hostDrop = hostFreeBefore - statfsSync(stateDir).bavail * statfsSync(stateDir).bsize;
    console.log(
      `quota ${QUOTA_MIB} MiB: workspace wrote ${(written / MiB).toFixed(1)} MiB; image uses ` +
        `${(imageBytes / MiB).toFixed(1)} MiB; state dir grew ${(grown / MiB).toFixed(1)} MiB; ` +
        `host free space dropped ${(hostDrop / MiB).toFixed(1)} MiB (other processes write too)`,
    );
    expect(imageBytes).toBeLessThanOrEqual(QUOTA_MIB * MiB);
    expect(grown).toBeLessThanOrEqual(QUOTA_MIB * MiB + 4 * MiB); // + the spare image made meanwhile
    // Other test suites share this disk: a loose bound, still far below the 1 GiB asked.
    expect(hostDrop).toBeLessThan(QUOTA_MIB * MiB + 512 * MiB);

    // Full is the workspace's own problem: freeing space makes it work again.
    const after = await sh(id, 'rm /workspace/big && echo fine > /workspace/small && cat /workspace/small');
    expect(after).toMatchObject({ exitCode: 0, stdout: 'fine\n' });
    expect((await api('DELETE', `/v1/workspaces/${id}`)).status).toBeLessThan(300);
  });
});

describe.runIf(canLoop)('mounts the workspace cannot subvert', () => {
  let hostile = '';
  let hostileConversation = '';
  let good = '';
  const canaries: string[] = [];

  it('a workspace rewrites everything it can write; the read-only host dir refuses every change', async () => {
    hostileConversation = `hostile-${randomBytes(4).toString('hex')}`;
    hostile = await create(hostileConversation);
    good = await create(`good-${randomBytes(4).toString('hex')}`);
    await sh(good, 'echo precious > /workspace/keep.txt');

    // Host files a symlink in the workspace points at: if root ever follows one, they change.
    const stateCanary = path.join(stateDir, 'canary.txt');
    const tmpCanary = path.join(canaryDir, 'canary.txt');
    const dirCanary = path.join(canaryDir, 'dir');
    writeFileSync(stateCanary, 'state canary\n', { mode: 0o600 });
    writeFileSync(tmpCanary, 'tmp canary\n', { mode: 0o644 });
    mkdirSync(dirCanary, { mode: 0o755 });
    const dirs = workspaceDirs(stateDir, hostile);
    // Plus the root-only dirs Berth made: their mode and owner must hold too.
    canaries.push(stateCanary, tmpCanary, dirCanary, canaryDir, stateDir, path.join(stateDir, 'workspaces'));
    canaries.push(
      dirs.root,
      dirs.host,
      workspaceDirs(stateDir, good).root,
      workspaceDirs(stateDir, good).host,
    );
    const before = fingerprint(canaries);

    const attack = `
      cd /run/berth/agent || exit 9
      mv agent.sock agent.sock.aside
      ln -s ${stateCanary} agent.sock
      ln -sf ${tmpCanary} agent-token
      mkfifo proxy.sock; ln -s ${dirCanary} run; ln -s / root
      cd /workspace || exit 9
      ln -s ${tmpCanary} link-file; ln -s ${dirCanary} link-dir; ln -s ${stateDir} link-state; mkfifo fifo
      for op in "rm -f /run/berth/host/proxy.sock" "mv /run/berth/host/proxy.sock /run/berth/host/p" \
                "touch /run/berth/host/x" "ln -s ${tmpCanary} /run/berth/host/l" "mkfifo /run/berth/host/f" \
                "chmod 777 /run/berth/host" "mv /run/berth/agent /run/berth/a2" "mv /workspace /w2" \
                "umount /workspace" "rmdir /run/berth/agent" "touch /run/berth/x"; do
        if $op 2>/dev/null; then echo "ALLOWED: $op"; fi
      done
      ls -la /run/berth/agent /run/berth/host
    `;
    const r = await sh(hostile, attack);
    expect(r.stdout).not.toContain('ALLOWED');
    expect(r.stdout).toMatch(/agent\.sock -> /);
    expect(lstatSync(path.join(dirs.host, 'proxy.sock')).isSocket()).toBe(true);
    expect(fingerprint(canaries)).toEqual(before);
  });

  it('a swapped agent socket linking to a live host socket is never followed', async () => {
    // A trap on the host: a Unix socket server that counts who connects (think: the Docker engine's).
    const trapPath = path.join(canaryDir, 'trap.sock');
    let reached = 0;
    const trap = net.createServer((s) => {
      reached++;
      s.destroy();
    });
    await new Promise<void>((r) => trap.listen(trapPath, r));
    try {
      // The workspace points its agent socket at the trap. Its agent's kept-alive connections still reach the
      // real agent until they idle out (5 s on the agent's side): wait past that so Berth must connect anew.
      const relink = await sh(
        hostile,
        `cd /run/berth/agent && ln -sfn ${trapPath} agent.sock && echo linked`,
      );
      expect(relink.stdout).toBe('linked\n');
      await new Promise((r) => setTimeout(r, 6_500));
      const r = await api('POST', `/v1/workspaces/${hostile}/exec`, { cmd: ['true'] });
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('capacity');
      expect(reached).toBe(0);
    } finally {
      await new Promise((r) => trap.close(r));
    }
  });

  it('SIGKILL and start again: Berth starts, fails that workspace with a reason, serves the other; no host file changed', async () => {
    const before = fingerprint(canaries);
    await berth!.kill();
    await start(); // would throw if Berth could not start

    const failed = await until(
      async () => {
        const r = await api('GET', `/v1/workspaces/${hostile}`);
        return r.json?.status === 'failed' ? r.json : undefined;
      },
      30_000,
      'the hostile workspace to be failed',
    );
    expect(failed.terminationReason).toMatch(/host_check_failed.*agent\.sock is a symlink/);
    const left = await docker.listContainers({
      all: true,
      filters: { label: [managedFilter(LABEL_PREFIX), `${labelKeys(LABEL_PREFIX).workspaceId}=${hostile}`] },
    });
    expect(left).toHaveLength(0);

    // The other workspace: its files, its agent and its way out (its proxy answers, here refusing the host).
    expect(await sh(good, 'cat /workspace/keep.txt')).toMatchObject({ exitCode: 0, stdout: 'precious\n' });
    const proxied = await sh(
      good,
      `node -e "require('http').get({host:'127.0.0.1',port:3128,path:'http://example.com/',headers:{host:'example.com'}},` +
        `(r)=>{console.log(r.statusCode);process.exit(0)}).on('error',(e)=>{console.log(e.code);process.exit(0)})"`,
    );
    expect(proxied.stdout.trim()).toMatch(/^[45]\d\d$/);

    // Its conversation gets a fresh workspace.
    const again = await create(hostileConversation);
    expect(again).not.toBe(hostile);
    expect((await sh(again, 'echo ok')).stdout).toBe('ok\n');
    // Only live workspaces keep a mounted disk (the failed and the deleted one were unmounted).
    expect((await mountedDisksIn(path.join(stateDir, 'workspaces'))).sort()).toEqual([again, good].sort());

    expect(fingerprint(canaries)).toEqual(before);
  });
});

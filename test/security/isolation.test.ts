import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  subscribeDockerEvents,
  type WorkspaceContainerEvent,
} from '../../local-docker/src/runtime/docker-events.js';
import { waitForHealth } from '../contract/agent-health.js';
import { makeDockerHarness, type DockerHarness } from '../contract/docker-harness.js';
import { NO_IMAGE_MESSAGE, pickTestImage } from '../contract/test-image.js';
import { execIn, sh } from './exec-in.js';
import { ALLOCATE_3GB, CONNECT_OUT, FORK_150, interfaceNames, LIST_INTERFACES } from './probes.js';

// Isolation as seen from INSIDE a running workspace container, at the runtime level (ARCHITECTURE.md §4).
const image = await pickTestImage(new Dockerode());
const GiB = 1024 ** 3;

describe.skipIf(!image)(`workspace container isolation${image ? '' : ` (${NO_IMAGE_MESSAGE})`}`, () => {
  let h: DockerHarness;
  let taskRef: string;
  const workspaceId = `ws_sec${randomBytes(6).toString('hex')}`;
  const events: WorkspaceContainerEvent[] = [];
  let sub: { close(): void };
  const run = (script: string) => sh(h.docker, taskRef, script);

  beforeAll(async () => {
    h = await makeDockerHarness(image!);
    sub = await subscribeDockerEvents({
      docker: h.docker,
      labelPrefix: h.labelPrefix,
      onEvent: (e) => events.push(e),
    });
    ({ taskRef } = await h.runtime.start({
      workspaceId,
      tenantId: 'tenant-sec',
      template: 'default',
      image: image!.image,
      limits: { cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 },
    }));
    const { endpoint } = await h.runtime.describe(taskRef);
    await waitForHealth(endpoint!, 10_000);
  });
  afterAll(async () => {
    sub?.close();
    await h?.cleanup();
  });

  describe('network', () => {
    it('has only the loopback interface', async () => {
      const dev = await execIn(h.docker, taskRef, LIST_INTERFACES);
      expect(interfaceNames(dev.stdout)).toEqual(['lo']);
      const link = await run('ip -o link 2>/dev/null || true');
      if (link.stdout.trim())
        expect(
          link.stdout
            .trim()
            .split('\n')
            .map((l) => l.split(':')[1]!.trim()),
        ).toEqual(['lo']);
    });

    it('has no route out', async () => {
      const route = await run('cat /proc/net/route');
      expect(route.stdout.trim().split('\n')).toHaveLength(1); // header only
      const ipRoute = await run(
        'ip route 2>/dev/null; ip -6 route 2>/dev/null | grep -v "^::1 " | grep -v "^fe80" || true',
      );
      expect(ipRoute.stdout.trim()).toBe('');
    });

    it('cannot connect out: ENETUNREACH immediately (no packet can leave)', async () => {
      const probe = await execIn(h.docker, taskRef, CONNECT_OUT);
      const [code, ms] = probe.stdout.trim().split(' ');
      expect(code).toBe('ENETUNREACH');
      expect(Number(ms)).toBeLessThan(1000);
    });

    it('cannot resolve names', async () => {
      const dns = await execIn(h.docker, taskRef, [
        'node',
        '-e',
        "require('dns').lookup('example.com',(e)=>{console.log(e?e.code:'RESOLVED')})",
      ]);
      expect(dns.stdout.trim()).not.toBe('RESOLVED');
    });

    it('cannot see the Docker socket', async () => {
      expect((await run('test -e /var/run/docker.sock && echo yes || echo no')).stdout.trim()).toBe('no');
    });
  });

  describe('filesystem', () => {
    it('cannot write the root or /usr (read-only)', async () => {
      for (const target of ['/evil', '/usr/evil', '/etc/evil']) {
        const r = await run(`echo x > ${target}`);
        expect(r.exitCode, target).not.toBe(0);
        expect(r.stderr).toMatch(/Read-only file system|Permission denied/);
      }
      // Even root in the container cannot: the mount itself is read-only.
      const asRoot = await execIn(h.docker, taskRef, ['sh', '-c', 'echo x > /usr/evil'], '0:0');
      expect(asRoot.stderr).toMatch(/Read-only file system/);
    });

    it('can write /workspace (on the host, owned by uid 1000)', async () => {
      const r = await run('echo hello > /workspace/probe.txt && cat /workspace/probe.txt');
      expect(r).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
      const st = await stat(path.join(h.runtime.dirs(workspaceId).files, 'probe.txt'));
      expect(st.uid).toBe(1000);
    });

    it('can write /tmp and $HOME (tmpfs)', async () => {
      const r = await run('echo a > /tmp/a && echo b > "$HOME/b" && cat /tmp/a "$HOME/b" && echo "$HOME"');
      expect(r).toMatchObject({ exitCode: 0, stdout: 'a\nb\n/home/agent\n' });
      const mounts = await run('grep -E " /tmp | /home/agent " /proc/mounts');
      expect(mounts.stdout).toMatch(/tmpfs \/tmp tmpfs [^ ]*nosuid,nodev/);
      expect(mounts.stdout).toMatch(/tmpfs \/home\/agent tmpfs [^ ]*nosuid,nodev/);
    });

    it('holds the agent dir at /run/berth/agent, writable by the agent; the host dir read-only', async () => {
      const r = await run('touch /run/berth/agent/probe && ls /run/berth/agent');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('probe');
      const host = await run('touch /run/berth/host/probe');
      expect(host.exitCode).not.toBe(0);
      expect(host.stderr).toMatch(/Read-only file system/);
    });

    it.runIf(process.getuid?.() === 0)(
      "has /workspace on a filesystem of its own, of the template's diskMiB, nosuid and nodev",
      async () => {
        const df = (await run('df -P -m /workspace | tail -1')).stdout.trim().split(/\s+/);
        // ext4's own metadata takes a little of the 5120 MiB.
        expect(Number(df[1])).toBeGreaterThan(4500);
        expect(Number(df[1])).toBeLessThanOrEqual(5120);
        const mount = (await run('grep " /workspace " /proc/mounts')).stdout;
        expect(mount).toMatch(/ext4 [^ ]*nosuid,nodev/);
      },
    );
  });

  describe('privileges', () => {
    it('is preferred by the host OOM killer over the control plane', async () => {
      expect(Number((await run('cat /proc/1/oom_score_adj')).stdout.trim())).toBe(500);
    });

    it('runs as uid 1000 (the agent too)', async () => {
      expect((await run('id -u')).stdout.trim()).toBe('1000');
      expect((await run('id -g')).stdout.trim()).toBe('1000');
      const pid1 = await run("grep -E '^Uid:' /proc/1/status");
      expect(pid1.stdout.split(/\s+/)[1]).toBe('1000');
    });

    it('has no capabilities (effective, permitted, bounding)', async () => {
      const status = (await run('cat /proc/self/status')).stdout;
      for (const cap of ['CapEff', 'CapPrm', 'CapBnd', 'CapInh', 'CapAmb']) {
        expect(status).toMatch(new RegExp(`^${cap}:\\s+0000000000000000$`, 'm'));
      }
    });

    it('has no-new-privileges and a seccomp filter', async () => {
      const status = (await run('cat /proc/self/status')).stdout;
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(status).toMatch(/^Seccomp:\s+2$/m);
    });

    it('root via exec still has no capabilities', async () => {
      const r = await execIn(
        h.docker,
        taskRef,
        ['sh', '-c', 'grep CapEff /proc/self/status; chown 0 /workspace 2>&1 || true'],
        '0:0',
      );
      expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
    });
  });

  describe('limits', () => {
    it('applies 2 GiB memory, no swap, 2 CPUs and 100 pids in the cgroup', async () => {
      const v1 = await run(
        'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo none; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max',
      );
      if (v1.exitCode === 0) {
        const [mem, memsw, quota, period, pids] = v1.stdout.trim().split('\n');
        expect(Number(mem)).toBe(2 * GiB);
        if (memsw !== 'none') expect(Number(memsw)).toBe(2 * GiB);
        expect(Number(quota) / Number(period)).toBe(2);
        expect(pids).toBe('100');
      } else {
        // cgroup v2
        const v2 = await run(
          'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/pids.max',
        );
        expect(v2.stdout.trim().split('\n')).toEqual([String(2 * GiB), '0', '100']);
      }
    });

    it('refuses forks beyond the pids limit', async () => {
      const r = await execIn(h.docker, taskRef, FORK_150);
      expect(r.exitCode, r.stderr).toBe(0);
      const [started, failed] = r.stdout.trim().split(' ').map(Number);
      expect(started).toBeLessThan(100);
      expect(failed).toBeGreaterThan(50);
      expect(started! + failed!).toBe(150);
      // The agent survived the fork storm and its children are gone.
      const { endpoint } = await h.runtime.describe(taskRef);
      await waitForHealth(endpoint!, 5_000);
    });

    it('OOM-kills a 3 GB allocation (exit 137, oom event), the workspace survives', async () => {
      const r = await execIn(h.docker, taskRef, ALLOCATE_3GB);
      expect(r.stdout).not.toContain('ALLOCATED');
      expect(r.exitCode).toBe(137);
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.taskRef === taskRef && e.action === 'oom') && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(events.find((e) => e.taskRef === taskRef && e.action === 'oom')).toMatchObject({ workspaceId });
      const status = await h.runtime.describe(taskRef);
      expect(status.state).toBe('running');
      await waitForHealth(status.endpoint!, 5_000);
    }, 120_000); // reclaiming 2 GiB before the OOM kill takes ~15 s on a busy 2-core machine
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '@berth/core';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../local-docker/src/runtime/docker-runtime.js';
import {
  subscribeDockerEvents,
  type WorkspaceContainerEvent,
} from '../../local-docker/src/runtime/docker-events.js';
import { TaskNotFoundError } from '../../local-docker/src/runtime/errors.js';
import { waitForHealth } from './agent-health.js';
import { makeDockerHarness, TEST_AGENT_PUBLIC_KEY, type DockerHarness } from './docker-harness.js';
import { NO_IMAGE_MESSAGE, pickTestImage } from './test-image.js';

// DockerRuntime behaviour beyond the shared contract: engine-side hardening, host dirs, events, edge cases.
const image = await pickTestImage(new Dockerode());

describe.skipIf(!image)(`DockerRuntime specifics${image ? '' : ` (${NO_IMAGE_MESSAGE})`}`, () => {
  let h: DockerHarness;
  const events: WorkspaceContainerEvent[] = [];
  let sub: { close(): void };
  const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
    workspaceId: `ws_x${randomBytes(6).toString('hex')}`,
    tenantId: 'tenant-x',
    template: 'default',
    image: image!.image,
    limits: { cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 },
    ...over,
  });
  const eventFor = async (taskRef: string, action: 'die' | 'oom', timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = events.find((x) => x.taskRef === taskRef && x.action === action);
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no ${action} event for ${taskRef}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    h = await makeDockerHarness(image!);
    sub = await subscribeDockerEvents({
      docker: h.docker,
      labelPrefix: h.labelPrefix,
      onEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    sub?.close();
    await h?.cleanup();
  });

  it('the engine applied every hardening item', async () => {
    const s = spec();
    const { taskRef } = await h.runtime.start(s);
    const info = await h.docker.getContainer(taskRef).inspect();
    expect(info.Config.User).toBe('1000:1000');
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      PidsLimit: 100,
      NanoCpus: 2e9,
      Memory: 2 * 1024 ** 3,
      MemorySwap: 2 * 1024 ** 3,
      IpcMode: 'private',
      Init: true,
      AutoRemove: false,
    });
    const dirs = h.runtime.dirs(s.workspaceId);
    expect(info.Mounts.map((m) => [m.Source, m.Destination, m.RW]).sort()).toEqual(
      [
        [dirs.files, '/workspace', true],
        [dirs.agent, '/run/berth/agent', true],
        [dirs.host, '/run/berth/host', false],
      ].sort(),
    );
    expect(info.Name).toBe(`/${h.runtime.namePrefix}${s.workspaceId}`);
    await h.runtime.stop(taskRef, 'test');
  });

  it('hands the agent dirs to uid 1000; files survive stop; removeWorkspaceDirs deletes them', async () => {
    const s = spec();
    const { taskRef } = await h.runtime.start(s);
    const dirs = h.runtime.dirs(s.workspaceId);
    const asRoot = process.getuid?.() === 0;
    for (const d of [dirs.agent, dirs.files]) {
      expect((await stat(d)).uid).toBe(asRoot ? 1000 : expect.any(Number));
    }
    expect((await stat(dirs.host)).uid).toBe(process.getuid?.());
    await writeFile(path.join(dirs.files, 'keep.txt'), 'kept');
    await h.runtime.stop(taskRef, 'test');
    // stop unmounts the workspace's disk and keeps its image; a check mounts it again.
    await h.runtime.disks.check(dirs);
    expect(await readFile(path.join(dirs.files, 'keep.txt'), 'utf8')).toBe('kept');
    await h.runtime.removeWorkspaceDirs(s.workspaceId);
    expect(existsSync(dirs.root)).toBe(false);
    await expect(h.runtime.removeWorkspaceDirs(s.workspaceId)).resolves.toBeUndefined();
  });

  it('a container that exits on its own: stopped exited:3, a die event without a signal, then removable', async () => {
    const crashing = h.withCommand(['sh', '-c', 'exit 3']);
    const { taskRef } = await crashing.start(spec());
    const die = await eventFor(taskRef, 'die');
    expect(die).toMatchObject({
      action: 'die',
      exitCode: 3,
      signal: null,
      workspaceId: expect.stringMatching(/^ws_x/),
    });
    expect(Math.abs(die.at - Date.now())).toBeLessThan(60_000);
    const status = await h.runtime.describe(taskRef);
    expect(status).toMatchObject({
      state: 'stopped',
      stoppedReason: 'exited:3',
      exitCode: 3,
      endpoint: null,
    });
    expect((await h.runtime.list()).find((t) => t.taskRef === taskRef)).toMatchObject({
      stoppedReason: 'exited:3',
    });
    await h.runtime.stop(taskRef, 'cleanup');
    expect((await h.runtime.describe(taskRef)).state).toBe('missing');
  });

  it('our own stop shows as a die after a SIGKILL', async () => {
    const { taskRef } = await h.runtime.start(spec());
    await h.runtime.stop(taskRef, 'test');
    expect(await eventFor(taskRef, 'die')).toMatchObject({ exitCode: 137, signal: 9 });
  });

  it('stops a paused container', async () => {
    const { taskRef } = await h.runtime.start(spec());
    await h.runtime.pause(taskRef);
    await h.runtime.pause(taskRef); // idempotent
    await h.runtime.stop(taskRef, 'test');
    expect((await h.runtime.describe(taskRef)).state).toBe('missing');
  });

  it('thaws at once from two callers (a pool claim and a claimer that lost the member) both succeed', async () => {
    const { taskRef } = await h.runtime.start(spec());
    for (let round = 0; round < 5; round++) {
      await h.runtime.pause(taskRef);
      await Promise.all([h.runtime.resume(taskRef), h.runtime.resume(taskRef), h.runtime.resume(taskRef)]);
      expect((await h.runtime.describe(taskRef)).state).toBe('running');
    }
    await h.runtime.stop(taskRef, 'test');
  });

  it('a second start of the same workspace replaces a leftover container', async () => {
    const s = spec();
    const first = await h.runtime.start(s);
    const second = await h.runtime.start(s);
    expect(second.taskRef).not.toBe(first.taskRef);
    expect((await h.runtime.describe(first.taskRef)).state).toBe('missing');
    expect((await h.runtime.describe(second.taskRef)).state).toBe('running');
    await h.runtime.stop(second.taskRef, 'test');
  });

  it('never touches containers that are not Berth-labelled', async () => {
    const foreign = await h.createForeign();
    expect((await h.runtime.describe(foreign)).state).toBe('missing');
    await h.runtime.stop(foreign, 'test');
    await expect(h.runtime.pause(foreign)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect((await h.docker.getContainer(foreign).inspect()).Id).toBe(foreign);
  });

  it('refuses refs that are not container ids or names', async () => {
    for (const ref of ['', '../images/json', 'a/b', 'x?all=1']) {
      expect((await h.runtime.describe(ref)).state).toBe('missing');
      await expect(h.runtime.stop(ref, 'test')).resolves.toBeUndefined();
    }
    await expect(h.runtime.resume('nope-not-here')).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it('refuses an unsafe workspace id before touching the disk', async () => {
    await expect(h.runtime.start(spec({ workspaceId: '../escape' }))).rejects.toThrow(/invalid workspace id/);
  });

  it('Docker-in-Docker: mounts the engine-side path, hands out the control-plane path', async () => {
    // The control plane sees the state dir through a symlink; the engine is given the real path.
    const linkParent = await mkdtemp(path.join(tmpdir(), 'berth-dind-'));
    const seenByUs = path.join(linkParent, 'state');
    await symlink(h.stateDir, seenByUs);
    const rt = new DockerRuntime({
      docker: h.docker,
      agentPublicKey: TEST_AGENT_PUBLIC_KEY,
      stateDir: seenByUs,
      hostStateDir: h.stateDir,
      labelPrefix: h.labelPrefix,
      namePrefix: `${h.runtime.namePrefix}dind-`,
      ...(image!.command ? { command: image!.command } : {}),
    });
    const s = spec();
    const { taskRef } = await rt.start(s);
    const info = await h.docker.getContainer(taskRef).inspect();
    expect(info.Mounts.find((m) => m.Destination === '/run/berth/agent')?.Source).toBe(
      path.join(h.stateDir, 'workspaces', s.workspaceId, 'disk', 'agent'),
    );
    const status = await rt.describe(taskRef);
    expect(status.endpoint).toEqual({
      kind: 'uds',
      socketPath: path.join(seenByUs, 'workspaces', s.workspaceId, 'disk', 'agent', 'agent.sock'),
    });
    await waitForHealth(status.endpoint!, 10_000);
    await rt.stop(taskRef, 'test');
    await rm(linkParent, { recursive: true, force: true });
  });

  it("another Berth on the engine (same label prefix, other state dir) neither lists nor stops this one's", async () => {
    const otherDir = await mkdtemp(path.join(tmpdir(), 'berth-other-'));
    const other = new DockerRuntime({
      docker: h.docker,
      agentPublicKey: TEST_AGENT_PUBLIC_KEY,
      stateDir: otherDir,
      labelPrefix: h.labelPrefix,
    });
    expect(other.instance).not.toBe(h.runtime.instance);
    const { taskRef } = await h.runtime.start(spec());
    try {
      expect((await other.list()).map((t) => t.taskRef)).not.toContain(taskRef);
      expect((await other.describe(taskRef)).state).toBe('missing');
      await other.stop(taskRef, 'not mine');
      expect((await h.runtime.describe(taskRef)).state).not.toBe('missing');
      expect((await h.runtime.list()).map((t) => t.taskRef)).toContain(taskRef);
    } finally {
      await h.runtime.stop(taskRef, 'test');
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('a wrong hostStateDir fails loudly instead of mounting an empty dir', async () => {
    const rt = new DockerRuntime({
      docker: h.docker,
      agentPublicKey: TEST_AGENT_PUBLIC_KEY,
      stateDir: h.stateDir,
      hostStateDir: '/nonexistent-berth-engine-dir',
      labelPrefix: h.labelPrefix,
    });
    await expect(rt.start(spec())).rejects.toThrow(/hostStateDir/);
  });

  it('starts fast: create+start latency', async () => {
    const samples: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const { taskRef } = await h.runtime.start(spec());
      const t1 = performance.now();
      await h.runtime.stop(taskRef, 'bench');
      samples.push(t1 - t0);
      stops.push(performance.now() - t1);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `DockerRuntime start() median ${median(samples).toFixed(0)} ms [${samples.map((s) => s.toFixed(0)).join(', ')}]; ` +
        `stop() median ${median(stops).toFixed(0)} ms [${stops.map((s) => s.toFixed(0)).join(', ')}]`,
    );
    // Generous bound: a shared 2-core machine; the figure that matters is the logged median.
    expect(median(samples)).toBeLessThan(3000);
  });
});

import { randomBytes } from 'node:crypto';
import type { ContainerRuntime, ContainerSpec, TaskStatus } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForHealth } from './agent-health.js';

export interface ContractHarness {
  runtime: ContainerRuntime;
  /** An image (Docker) / task family (ECS) whose entrypoint is a working agent. */
  image: string;
  /** Removes everything the suite created, even after a failure. */
  cleanup(): Promise<void>;
  /** Creates a task/container WITHOUT Berth's labels and returns its ref; lets the suite prove list() skips it. */
  createForeignTask?(): Promise<string>;
  /**
   * Whether the runtime can freeze a task (Docker can; ECS cannot). Default true. When false, the suite
   * checks instead that pause and resume reject and leave the task running.
   */
  supportsPause?: boolean;
}

const poll = async (
  read: () => Promise<TaskStatus>,
  until: (s: TaskStatus) => boolean,
  timeoutMs = 10_000,
) => {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!until(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
};

/**
 * What every ContainerRuntime must do (packages/core/src/ports/container-runtime.ts). The cases run in
 * order on one task: start → health → list → pause/resume → stop, then the unknown-ref edge cases.
 */
export function describeContainerRuntimeContract(
  name: string,
  makeRuntime: () => Promise<ContractHarness>,
): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let h: ContractHarness;
    let taskRef: string;
    const workspaceId = `ws_contract${randomBytes(6).toString('hex')}`;
    const spec = (): ContainerSpec => ({
      workspaceId,
      tenantId: 'tenant-contract',
      template: 'default',
      image: h.image,
      limits: { cpus: 1, memoryMiB: 512, pids: 100, diskMiB: 256 },
    });
    const describeIt = () => h.runtime.describe(taskRef);

    beforeAll(async () => {
      h = await makeRuntime();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('pings', async () => {
      await expect(h.runtime.ping()).resolves.toBeUndefined();
    });

    it('starts a task that becomes running with an endpoint and its workspace id', async () => {
      ({ taskRef } = await h.runtime.start(spec()));
      expect(taskRef).toEqual(expect.any(String));
      const status = await poll(describeIt, (s) => s.state === 'running' && s.endpoint !== null);
      expect(status).toMatchObject({
        taskRef,
        state: 'running',
        workspaceId,
        stoppedReason: null,
        exitCode: null,
        oomKilled: false,
        stoppedAt: null,
      });
      expect(status.endpoint).not.toBeNull();
    });

    it('serves the agent: GET /health answers 200 on the endpoint', async () => {
      const { endpoint } = await describeIt();
      if (!endpoint) throw new Error('no endpoint');
      await waitForHealth(endpoint, 10_000);
    });

    it('lists the task with its workspace id', async () => {
      const all = await h.runtime.list();
      expect(all.find((s) => s.taskRef === taskRef)).toMatchObject({ state: 'running', workspaceId });
    });

    it('pauses and resumes', async () => {
      if (h.supportsPause === false) {
        await expect(h.runtime.pause(taskRef)).rejects.toThrow();
        await expect(h.runtime.resume(taskRef)).rejects.toThrow();
        expect((await describeIt()).state).toBe('running');
        return;
      }
      await h.runtime.pause(taskRef);
      expect((await poll(describeIt, (s) => s.state === 'paused')).state).toBe('paused');
      await h.runtime.resume(taskRef);
      expect((await poll(describeIt, (s) => s.state === 'running')).state).toBe('running');
      const { endpoint } = await describeIt();
      if (!endpoint) throw new Error('no endpoint after resume');
      await waitForHealth(endpoint, 10_000);
    });

    it('stops, and stopping again resolves (idempotent)', async () => {
      await h.runtime.stop(taskRef, 'contract');
      const status = await poll(describeIt, (s) => s.state === 'missing' || s.state === 'stopped');
      expect(['missing', 'stopped']).toContain(status.state);
      expect(status.endpoint).toBeNull();
      await expect(h.runtime.stop(taskRef, 'contract again')).resolves.toBeUndefined();
      const listed = await h.runtime.list();
      expect(listed.filter((s) => s.taskRef === taskRef && s.state !== 'stopped')).toEqual([]);
    });

    it('describes an unknown ref as missing without throwing', async () => {
      await expect(h.runtime.describe('unknown-ref')).resolves.toMatchObject({
        taskRef: 'unknown-ref',
        state: 'missing',
        endpoint: null,
      });
    });

    it('stop of an unknown ref resolves', async () => {
      await expect(h.runtime.stop('unknown-ref', 'contract')).resolves.toBeUndefined();
    });

    it('lists only Berth-labelled tasks', async (ctx) => {
      if (!h.createForeignTask) {
        ctx.skip();
        return;
      }
      const foreign = await h.createForeignTask();
      const all = await h.runtime.list();
      expect(all.map((s) => s.taskRef)).not.toContain(foreign);
      for (const s of all) expect(s.workspaceId).not.toBeNull();
    });

    it('rejects a start with a nonexistent image with a clear error', async () => {
      await expect(
        h.runtime.start({
          ...spec(),
          workspaceId: `${workspaceId}-noimg`,
          image: 'berth/does-not-exist:nope',
        }),
      ).rejects.toThrow(/berth\/does-not-exist:nope/);
    });
  });
}

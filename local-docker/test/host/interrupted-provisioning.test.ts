import { describe, expect, it } from 'vitest';
import { acquireWorkspace, startContainerStep } from '@berth/core';
import { makeDeps } from '../../../packages/core/test/support/make-deps.js';
import { HOST_RESTARTED, failInterruptedProvisioning } from '../../src/host/interrupted-provisioning.js';

/** What a Berth killed mid-provisioning leaves in its table and runtime, and what the next start makes of it. */
async function leftovers() {
  const deps = makeDeps();
  deps.provisioner.mode = 'manual'; // provisionings that never finish: their process died
  const create = async (conversationId: string) =>
    (await acquireWorkspace(deps, { tenantId: 't', conversationId, wait: false })).workspace;
  const noTask = await create('no-task');
  const unrecorded = await create('unrecorded');
  // Started just before the crash, before its taskRef reached the record.
  const { taskRef: unrecordedTask } = await deps.runtime.start({
    workspaceId: unrecorded.id,
    tenantId: 't',
    template: 'default',
    image: 'img',
    limits: { cpus: 1, memoryMiB: 256, pids: 10, diskMiB: 64 },
  });
  const recorded = await create('recorded');
  const { taskRef: recordedTask } = await startContainerStep(deps, { workspaceId: recorded.id });
  const ready = await create('ready');
  await deps.provisioner.run({ workspaceId: ready.id });
  return { deps, noTask, unrecorded, unrecordedTask, recorded, recordedTask: recordedTask!, ready };
}

describe('failInterruptedProvisioning (local host start)', () => {
  it('fails every provisioning workspace with host_restarted, frees its conversation and stops its container', async () => {
    const l = await leftovers();
    const failed = await failInterruptedProvisioning(l.deps);
    expect(failed.sort()).toEqual([l.noTask.id, l.unrecorded.id, l.recorded.id].sort());
    for (const ws of [l.noTask, l.unrecorded, l.recorded]) {
      const now = await l.deps.store.get(ws.id, { now: l.deps.clock.now() });
      expect(now).toMatchObject({ status: 'failed', terminationReason: HOST_RESTARTED });
      expect(await l.deps.store.getBinding('t', ws.conversationId)).toBeUndefined();
    }
    // Both containers are gone, the one its record never named included; the ready workspace is untouched.
    expect(l.deps.runtime.running()).toEqual([
      (await l.deps.store.get(l.ready.id, { now: l.deps.clock.now() }))!.taskRef,
    ]);
    expect((await l.deps.store.get(l.ready.id, { now: l.deps.clock.now() }))!.status).toBe('ready');
    // A new create for such a conversation starts afresh at once.
    const again = await acquireWorkspace(l.deps, { tenantId: 't', conversationId: 'no-task', wait: false });
    expect(again.created).toBe(true);
    expect(again.workspace.id).not.toBe(l.noTask.id);
  });

  it('is a no-op when nothing is provisioning (and on a second start)', async () => {
    const l = await leftovers();
    await failInterruptedProvisioning(l.deps);
    const stops = l.deps.runtime.running().length;
    expect(await failInterruptedProvisioning(l.deps)).toEqual([]);
    expect(l.deps.runtime.running()).toHaveLength(stops);
  });
});

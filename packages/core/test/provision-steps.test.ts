import { describe, expect, it } from 'vitest';
import {
  ProvisioningAbandoned,
  ProvisioningTimedOut,
  TaskStoppedEarly,
  markFailedStep,
  markReadyStep,
  releaseWorkspace,
  snapshotKey,
  startContainerStep,
  waitForEndpointStep,
  waitForHealthyStep,
  restoreFilesStep,
} from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';
import { putLegacySnapshot } from './support/tar-files.js';

const provisioning = (deps: ReturnType<typeof makeDeps>) =>
  seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });

describe('provisioning steps', () => {
  it('run in order to a ready workspace with its task and endpoint recorded', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    const final = await deps.provisioner.run({ workspaceId: ws.id });
    expect(final.error).toBeUndefined();
    const ready = deps.store.peek(ws.id)!;
    expect(ready).toMatchObject({ status: 'ready', taskRef: 'task-1', deadlineAt: null });
    expect(ready.endpoint).toEqual(deps.runtime.endpointFor('task-1'));
    expect(ready.readyAt).not.toBeNull();
    const spec = deps.runtime.tasks.get('task-1')!.spec!;
    expect(spec).toMatchObject({
      workspaceId: ws.id,
      tenantId: 't1',
      image: 'berth/workspace:latest',
    });
    expect(spec.limits).toEqual({ cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 });
  });

  it('a retried StartContainer does not start a second task', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    const first = await startContainerStep(deps, { workspaceId: ws.id });
    const second = await startContainerStep(deps, { workspaceId: ws.id });
    expect(second.taskRef).toBe(first.taskRef);
    expect(deps.runtime.callsOf('start')).toHaveLength(1);
  });

  it('a workspace deleted while its task starts gets the started task stopped: no leak', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    let release!: () => void;
    deps.runtime.startGate = new Promise<void>((r) => (release = r));
    const step = startContainerStep(deps, { workspaceId: ws.id }).catch((e: unknown) => e);
    while (deps.runtime.callsOf('start').length === 0) await new Promise((r) => setImmediate(r));
    await releaseWorkspace(deps, 't1', ws.id);
    release();
    const e = await step;
    expect(e).toBeInstanceOf(ProvisioningAbandoned);
    expect((e as Error).name).toBe('ProvisioningAbandoned');
    expect(deps.runtime.running()).toEqual([]);
    expect(deps.runtime.callsOf('stop')).toEqual([
      { op: 'stop', taskRef: 'task-1', reason: 'provision_abandoned' },
    ]);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', taskRef: null });
  });

  it('refuses to start for a workspace that is no longer provisioning', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'stopped', taskRef: null, terminationReason: 'deleted' });
    await expect(startContainerStep(deps, { workspaceId: ws.id })).rejects.toBeInstanceOf(
      ProvisioningAbandoned,
    );
    await expect(startContainerStep(deps, { workspaceId: 'ws_nope' })).rejects.toBeInstanceOf(
      ProvisioningAbandoned,
    );
    expect(deps.runtime.callsOf('start')).toEqual([]);
  });

  it('WaitForEndpoint answers not ready (counting its checks) after its budget, TaskStoppedEarly for a dead task', async () => {
    const deps = makeDeps();
    deps.runtime.endpointAtStart = false;
    const ws = provisioning(deps);
    const state = await startContainerStep(deps, { workspaceId: ws.id });
    const first = await waitForEndpointStep(deps, state);
    expect(first).toMatchObject({ ready: false, checks: 1, taskRef: state.taskRef });
    expect(await waitForEndpointStep(deps, first)).toMatchObject({ ready: false, checks: 2 });
    expect(deps.store.peek(ws.id)!.endpoint).toBeNull();
    deps.runtime.setState(state.taskRef!, 'stopped', { stoppedReason: 'CannotPullContainerError' });
    const early = await waitForEndpointStep(deps, first).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(TaskStoppedEarly);
    expect((early as Error).message).toContain('CannotPullContainerError');
    expect((early as Error).name).toBe('TaskStoppedEarly');
  });

  it('WaitForEndpoint looks at once: a task that has its address answers ready without polling', async () => {
    const deps = makeDeps({
      config: { provisioning: { endpointTimeoutMs: 60_000, pollIntervalMs: 60_000 } },
    });
    const ws = provisioning(deps);
    const state = await startContainerStep(deps, { workspaceId: ws.id });
    const t0 = Date.now();
    expect(await waitForEndpointStep(deps, { ...state, checks: 3 })).toMatchObject({
      ready: true,
      checks: 0,
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(deps.store.peek(ws.id)!.endpoint).toEqual(deps.runtime.endpointFor(state.taskRef!));
  });

  it('WaitForHealthy waits for /health within its budget, else answers not ready; a dead task fails it', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    let state = await startContainerStep(deps, { workspaceId: ws.id });
    state = await waitForEndpointStep(deps, state);
    let misses = 3;
    deps.workspaceAgent.healthy = () => misses-- <= 0;
    expect(await waitForHealthyStep(deps, state)).toMatchObject({ ready: true });
    expect(deps.workspaceAgent.callsOf('health')).toHaveLength(4);
    deps.workspaceAgent.healthy = false;
    expect(await waitForHealthyStep(deps, state)).toMatchObject({ ready: false, checks: 1 });
    deps.runtime.setState(state.taskRef!, 'stopped', { stoppedReason: 'Essential container in task exited' });
    await expect(waitForHealthyStep(deps, state)).rejects.toBeInstanceOf(TaskStoppedEarly);
  });

  it('every check fails with ProvisioningTimedOut once the provisioning deadline passed (MarkFailed: timeout)', async () => {
    const deps = makeDeps();
    deps.runtime.endpointAtStart = false;
    const ws = provisioning(deps);
    const state = await startContainerStep(deps, { workspaceId: ws.id });
    deps.clock.advance(deps.config.provisioning.deadlineMs + 1);
    const e = await waitForEndpointStep(deps, state).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProvisioningTimedOut);
    await markFailedStep(deps, {
      ...state,
      error: { Error: (e as Error).name, Cause: (e as Error).message },
    });
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:timeout',
    });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('the in-order provisioner gives up with EndpointPending and AgentNotHealthy when the loops run out', async () => {
    const deps = makeDeps({ config: { provisioning: { endpointTimeoutMs: 1, healthTimeoutMs: 1 } } });
    deps.runtime.endpointAtStart = false;
    const a = provisioning(deps);
    await deps.provisioner.run({ workspaceId: a.id });
    expect(deps.provisioner.stepsOf(a.id)).toEqual([
      'StartContainer',
      'WaitForEndpoint!EndpointPending',
      'MarkFailed',
    ]);
    expect(deps.store.peek(a.id)!.terminationReason).toBe('provision_failed:EndpointPending');
    deps.runtime.endpointAtStart = true;
    deps.workspaceAgent.healthy = false;
    const b = provisioning(deps);
    await deps.provisioner.run({ workspaceId: b.id });
    expect(deps.store.peek(b.id)!.terminationReason).toBe('provision_failed:AgentNotHealthy');
    expect(deps.runtime.running()).toEqual([]);
  });

  it("RestoreFiles restores the conversation's legacy snapshot (no manifest)", async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    await putLegacySnapshot(deps.blobs, 't1', ws.conversationId, { 'kept.txt': 'yes' });
    let state = await startContainerStep(deps, { workspaceId: ws.id });
    state = await waitForEndpointStep(deps, state);
    state = await restoreFilesStep(deps, state);
    expect(state.restored).toBe(true);
    expect(
      deps.workspaceAgent.filesOf(deps.runtime.endpointFor(state.taskRef!)).get('kept.txt')?.toString(),
    ).toBe('yes');
  });

  it('MarkFailed fails a provisioning workspace with the error name and stops its task', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    const state = await startContainerStep(deps, { workspaceId: ws.id });
    await markFailedStep(deps, {
      ...state,
      error: { Error: 'TaskStoppedEarly', Cause: 'task stopped: boom' },
    });
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:TaskStoppedEarly',
    });
    expect(deps.runtime.running()).toEqual([]);
    expect(deps.store.bindings.size).toBe(0);
  });

  it('MarkFailed on a stopping workspace ends it stopped, not failed', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, {
      status: 'stopping',
      terminationReason: 'deleted',
      deadlineAt: deps.clock.now() + 1000,
    });
    await markFailedStep(deps, {
      workspaceId: ws.id,
      taskRef: ws.taskRef!,
      error: { Error: 'ProvisioningAbandoned' },
    });
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('MarkFailed sanitizes the error name into the reason', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    await markFailedStep(deps, { workspaceId: ws.id, error: { Error: 'Lambda.Unknown: weird name/x' } });
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('provision_failed:Lambda.Unknown__weird_name_x');
  });

  it('MarkFailed leaves a workspace that made it to ready, and its task, alone', async () => {
    // E.g. MarkReady wrote, but the state machine saw the attempt fail (timeout) and went to the Catch.
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await markFailedStep(deps, {
      workspaceId: ws.id,
      taskRef: ws.taskRef!,
      error: { Error: 'States.Timeout' },
    });
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
    expect(deps.runtime.running()).toEqual([ws.taskRef]);
  });

  it('a retried MarkReady after its first attempt wrote succeeds without a second write', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    const state = await deps.provisioner.run({ workspaceId: ws.id });
    const version = deps.store.peek(ws.id)!.version;
    await expect(markReadyStep(deps, state)).resolves.toMatchObject({ workspaceId: ws.id });
    expect(deps.store.peek(ws.id)!.version).toBe(version);
  });

  it('MarkReady refuses a workspace that moved on', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'stopped', terminationReason: 'deleted' });
    await expect(markReadyStep(deps, { workspaceId: ws.id })).rejects.toBeInstanceOf(ProvisioningAbandoned);
  });

  it('a deleted provisioning workspace does not overwrite the conversation snapshot with its empty files', async () => {
    const deps = makeDeps();
    const ws = provisioning(deps);
    const key = snapshotKey('t1', ws.conversationId);
    const saved = await putLegacySnapshot(deps.blobs, 't1', ws.conversationId, { 'work.txt': 'precious' });
    // Started and reachable, but deleted before RestoreFiles ran.
    await waitForEndpointStep(deps, await startContainerStep(deps, { workspaceId: ws.id }));
    await releaseWorkspace(deps, 't1', ws.id);
    expect(deps.store.peek(ws.id)!.status).toBe('stopped');
    expect(await deps.blobs.get(key, 1 << 20)).toEqual(saved);
  });
});

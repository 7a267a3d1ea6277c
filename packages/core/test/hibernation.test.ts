import { describe, expect, it } from 'vitest';
import {
  acquireWorkspace,
  onTaskStopped,
  pauseWorkspace,
  releaseWorkspace,
  resumeWorkspace,
  runCommand,
  snapshotManifestKey,
  sweep,
  type ApiError,
} from '@berth/core';
import { POOL_TENANT, refillPool, type WorkspaceRecord } from '@berth/core';
import { isAgentTokenFor, makeDeps, type TestDeps } from './support/make-deps.js';
import { snapshotFiles } from './support/tar-files.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A runtime like ECS (no freezing), and a ready workspace of conversation c1 with two files in it. */
async function readyOnRuntimeThatCannotFreeze(opts: Parameters<typeof makeDeps>[0] = {}) {
  const deps = makeDeps(opts);
  deps.runtime.freezes = false;
  const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
  expect(workspace.status).toBe('ready');
  const files = deps.workspaceAgent.filesOf(workspace.endpoint!);
  files.set('notes.md', Buffer.from('keep me'));
  files.set('src/main.py', Buffer.from('print(1)\n'));
  return { deps, ws: workspace };
}

/** What happened, in order: each file save (a snapshot committed) and each task stop, with the record's status. */
function timeline(deps: TestDeps, id: string): string[] {
  const seen: string[] = [];
  const put = deps.blobs.put.bind(deps.blobs);
  deps.blobs.put = async (key, body) => {
    if (key === snapshotManifestKey('t1', 'c1')) seen.push(`files saved (${deps.store.peek(id)!.status})`);
    return put(key, body);
  };
  const stop = deps.runtime.stop.bind(deps.runtime);
  deps.runtime.stop = async (ref, reason) => {
    seen.push(`stop ${ref} ${reason} (${deps.store.peek(id)!.status})`);
    return stop(ref, reason);
  };
  return seen;
}

const error = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ApiError,
  );

describe('pause where the runtime cannot freeze: hibernate', () => {
  it('saves the files, then stops the task; the record is paused with no task and no endpoint', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    const seen = timeline(deps, ws.id);
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    expect(seen).toEqual(['files saved (paused)', `stop ${ws.taskRef} hibernated (paused)`]);
    expect(paused).toMatchObject({ status: 'paused', taskRef: null, endpoint: null, deadlineAt: null });
    expect(deps.store.peek(ws.id)).toEqual(paused);
    expect(deps.runtime.tasks.get(ws.taskRef!)!.state).toBe('stopped');
    expect(deps.runtime.callsOf('pause')).toEqual([]);
    expect(await snapshotFiles(deps.blobs, 't1', 'c1')).toEqual({
      'notes.md': b64('keep me'),
      'src/main.py': b64('print(1)\n'),
    });
    // The conversation keeps its workspace: still bound, still live.
    expect(deps.store.bindings.size).toBe(1);
    // Pausing again changes nothing.
    expect(await pauseWorkspace(deps, 't1', ws.id)).toEqual(paused);
    expect(deps.runtime.callsOf('stop')).toHaveLength(1);
  });

  it('a save that fails leaves the workspace ready, its task untouched', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    deps.workspaceAgent.unreachable = true;
    expect(await error(pauseWorkspace(deps, 't1', ws.id))).toBeInstanceOf(Error);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'ready',
      taskRef: ws.taskRef,
      endpoint: ws.endpoint,
      deadlineAt: null,
    });
    expect(deps.runtime.callsOf('stop')).toEqual([]);
  });

  it('only a ready workspace can be paused', async () => {
    const deps = makeDeps();
    deps.runtime.freezes = false;
    deps.provisioner.mode = 'manual';
    const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1', wait: false });
    expect(await error(pauseWorkspace(deps, 't1', workspace.id))).toMatchObject({ code: 'conflict' });
  });
});

describe('resume of a hibernated workspace: a fresh start of the same workspace', () => {
  it('provisions a new task, restores the files saved at the pause, and answers ready', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    const restoredBy: (string | null)[] = [];
    deps.workspaceAgent.afterArchiveIn = () =>
      restoredBy.push(deps.workspaceAgent.callsOf('archiveIn').at(-1)!.token);

    const resumed = await resumeWorkspace(deps, 't1', ws.id);
    expect(resumed).toMatchObject({ id: ws.id, status: 'ready', conversationId: 'c1' });
    expect(resumed.taskRef).not.toBe(ws.taskRef);
    expect(resumed.endpoint).not.toEqual(ws.endpoint);
    expect(deps.provisioner.started).toEqual([
      { workspaceId: ws.id },
      { workspaceId: ws.id, run: expect.any(Number) },
    ]);
    expect(deps.provisioner.stepsOf(ws.id).slice(-5)).toEqual([
      'StartContainer',
      'WaitForEndpoint',
      'WaitForHealthy',
      'RestoreFiles',
      'MarkReady',
    ]);
    // The new task belongs to the same workspace, and its agent was handed a token for that workspace.
    expect(deps.runtime.tasks.get(resumed.taskRef!)!.spec!.workspaceId).toBe(ws.id);
    expect(restoredBy).toHaveLength(1);
    expect(isAgentTokenFor(restoredBy[0]!, ws.id)).toBe(true);
    expect(Object.fromEntries(deps.workspaceAgent.filesOf(resumed.endpoint!))).toEqual({
      'notes.md': Buffer.from('keep me'),
      'src/main.py': Buffer.from('print(1)\n'),
    });
    expect(deps.runtime.running()).toEqual([resumed.taskRef]);
    // Resuming again changes nothing.
    expect(await resumeWorkspace(deps, 't1', ws.id)).toEqual(deps.store.peek(ws.id));
    expect(deps.provisioner.started).toHaveLength(2);
  });

  it('moves paused → provisioning with a new deadline and no readyAt; wait: false answers that at once', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    deps.provisioner.mode = 'manual';
    deps.clock.freeze();
    const r = await resumeWorkspace(deps, 't1', ws.id, { wait: false });
    expect(r).toMatchObject({
      status: 'provisioning',
      taskRef: null,
      endpoint: null,
      readyAt: null,
      deadlineAt: deps.clock.now() + deps.config.provisioning.deadlineMs,
    });
    expect(deps.provisioner.started.at(-1)).toEqual({ workspaceId: ws.id, run: r.version });
    // A second resume while it starts answers it as it is, starting nothing more.
    expect(await resumeWorkspace(deps, 't1', ws.id, { wait: false })).toEqual(r);
    expect(deps.provisioner.started).toHaveLength(2);
  });

  it('deleted before its files are back: the stop saves nothing over the snapshot it was restoring', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    deps.provisioner.beforeStep = (step) => {
      if (step === 'RestoreFiles') return releaseWorkspace(deps, 't1', ws.id).then(() => undefined);
    };
    await resumeWorkspace(deps, 't1', ws.id).catch(() => undefined);
    await deps.provisioner.drain();
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    // The new task had an endpoint and an empty tree: saving that would have lost the conversation's files.
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(1);
    expect(Object.keys((await snapshotFiles(deps.blobs, 't1', 'c1'))!)).toEqual(['notes.md', 'src/main.py']);
  });

  it('a provisioner that cannot start leaves it hibernated as before', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    deps.provisioner.start = () => Promise.reject(new Error('StartExecution throttled'));
    expect(await error(resumeWorkspace(deps, 't1', ws.id))).toMatchObject({
      message: 'StartExecution throttled',
    });
    expect(deps.store.peek(ws.id)).toEqual({ ...paused, version: paused.version + 2 });
  });

  it('a provisioning that fails answers provision_failed, like a create', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    deps.workspaceAgent.healthy = false;
    expect(await error(resumeWorkspace(deps, 't1', ws.id))).toMatchObject({ code: 'provision_failed' });
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:AgentNotHealthy',
    });
    // The files are still the conversation's: the next workspace restores them.
    expect(Object.keys((await snapshotFiles(deps.blobs, 't1', 'c1'))!)).toEqual(['notes.md', 'src/main.py']);
  });

  it('a call to the agent (exec) resumes it and runs once it is ready; concurrent calls start it once', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    const [a, b] = await Promise.all([
      runCommand(deps, 't1', ws.id, { cmd: ['cat', 'notes.md'] }),
      runCommand(deps, 't1', ws.id, { cmd: ['ls'] }),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const ready = deps.store.peek(ws.id)!;
    expect(ready.status).toBe('ready');
    expect(deps.provisioner.started).toHaveLength(2);
    // Both ran on the new task, after its files were back.
    const execs = deps.workspaceAgent.callsOf('runCommand');
    expect(execs.map((c) => c.endpoint)).toEqual([
      (ready.endpoint as { socketPath: string }).socketPath,
      (ready.endpoint as { socketPath: string }).socketPath,
    ]);
    expect(deps.workspaceAgent.filesOf(ready.endpoint!).get('notes.md')?.toString()).toBe('keep me');
  });
});

describe('while and after it hibernates', () => {
  it('a resume while the files are being saved is told to retry; the pause then completes', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let saving!: () => void;
    const started = new Promise<void>((r) => (saving = r));
    deps.workspaceAgent.beforeArchiveOut = () => (saving(), held);
    const pausing = pauseWorkspace(deps, 't1', ws.id);
    await started;
    const e = (await error(resumeWorkspace(deps, 't1', ws.id))) as ApiError;
    expect(e).toMatchObject({ code: 'conflict', details: { retryAfterSeconds: 1 } });
    expect(e.message).toMatch(/still pausing/);
    // A call to the agent meanwhile is told the same, and does not reach the agent.
    expect(await error(runCommand(deps, 't1', ws.id, { cmd: ['ls'] }))).toMatchObject({ code: 'conflict' });
    expect(deps.workspaceAgent.callsOf('runCommand')).toEqual([]);
    release();
    expect(await pausing).toMatchObject({ status: 'paused', taskRef: null });
    expect((await resumeWorkspace(deps, 't1', ws.id)).status).toBe('ready');
  });

  it('a pause interrupted before its task stopped (its process died) is finished by the next resume', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    // The first pause dies while saving: the record says paused, with its task, until the deadline.
    deps.workspaceAgent.beforeArchiveOut = () => new Promise(() => {});
    void pauseWorkspace(deps, 't1', ws.id);
    await until(() => deps.workspaceAgent.callsOf('archiveOut').length === 1);
    deps.workspaceAgent.beforeArchiveOut = async () => {};
    deps.workspaceAgent.filesOf(ws.endpoint!).set('late.txt', Buffer.from('written before the pause'));
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'paused', taskRef: ws.taskRef });
    deps.clock.advance(deps.config.stoppingDeadlineMs);
    const seen = timeline(deps, ws.id);

    const r = await resumeWorkspace(deps, 't1', ws.id);
    expect(seen).toEqual(['files saved (paused)', `stop ${ws.taskRef} hibernated (paused)`]);
    expect(r.status).toBe('ready');
    expect(deps.workspaceAgent.filesOf(r.endpoint!).get('late.txt')?.toString()).toBe(
      'written before the pause',
    );
  });

  it('a pause interrupted after its task stopped: the resume only starts it (the files were saved)', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    deps.store.update = failAfterStop(deps, deps.store.update.bind(deps.store));
    await error(pauseWorkspace(deps, 't1', ws.id));
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'paused', taskRef: ws.taskRef });
    deps.clock.advance(deps.config.stoppingDeadlineMs);
    const r = await resumeWorkspace(deps, 't1', ws.id);
    expect(r.status).toBe('ready');
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(1);
    expect(deps.workspaceAgent.filesOf(r.endpoint!).get('notes.md')?.toString()).toBe('keep me');
  });

  it('the sweep leaves a hibernated workspace alone', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    deps.clock.advance(deps.config.taskEventGraceMs + 1);
    const report = await sweep(deps);
    expect(report).toMatchObject({ orphanRecords: 0, orphanTasks: 0, errors: 0 });
    expect(deps.store.peek(ws.id)).toEqual(paused);
  });

  it('deleting a hibernated workspace ends it without a save (nothing runs to save from) or a stop', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    await pauseWorkspace(deps, 't1', ws.id);
    const saves = deps.workspaceAgent.callsOf('archiveOut').length;
    const stops = deps.runtime.callsOf('stop').length;
    const r = await releaseWorkspace(deps, 't1', ws.id);
    expect(r.workspace).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(saves);
    expect(deps.runtime.callsOf('stop')).toHaveLength(stops);
    expect(Object.keys((await snapshotFiles(deps.blobs, 't1', 'c1'))!)).toEqual(['notes.md', 'src/main.py']);
  });

  it('the stop event of the hibernated task does not fail the workspace', async () => {
    const { deps, ws } = await readyOnRuntimeThatCannotFreeze();
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    const r = await onTaskStopped(deps, {
      taskRef: ws.taskRef!,
      workspaceId: ws.id,
      stoppedAt: deps.clock.now(),
      cause: 'stop_requested',
      containers: [{ name: 'workspace', role: 'workspace', exitCode: 143, oomKilled: false, reason: null }],
      stoppedReason: 'hibernated',
    });
    expect(r).toBeNull();
    expect(deps.store.peek(ws.id)).toEqual(paused);
  });
});

describe('where the runtime freezes (Docker)', () => {
  it('pause still freezes in place: no save, no stop, the same task', async () => {
    const deps = makeDeps();
    const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
    const paused = await pauseWorkspace(deps, 't1', workspace.id);
    expect(paused).toMatchObject({
      status: 'paused',
      taskRef: workspace.taskRef,
      endpoint: workspace.endpoint,
    });
    expect(deps.runtime.callsOf('pause')).toHaveLength(1);
    expect(deps.workspaceAgent.callsOf('archiveOut')).toEqual([]);
    expect(deps.runtime.callsOf('stop')).toEqual([]);
    const resumed = await resumeWorkspace(deps, 't1', workspace.id);
    expect(resumed).toMatchObject({ status: 'ready', taskRef: workspace.taskRef });
    expect(deps.provisioner.started).toHaveLength(1);
  });
});

/** A store whose write after the task's stop fails once: the pause dies between the stop and the record. */
function failAfterStop(deps: TestDeps, update: TestDeps['store']['update']): TestDeps['store']['update'] {
  let failed = false;
  return async (id, version, changes) => {
    if (!failed && changes.taskRef === null && deps.runtime.callsOf('stop').length > 0) {
      failed = true;
      throw new Error('store unavailable');
    }
    return update(id, version, changes);
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never met');
}

/** A hibernated workspace (as above, paused) and a pool of one warm member of its template. */
async function hibernatedWithWarmMember() {
  const ready = await readyOnRuntimeThatCannotFreeze({
    config: { templates: { default: { pool: { min: 1, max: 1 } } } },
  });
  await pauseWorkspace(ready.deps, 't1', ready.ws.id);
  await refillPool(ready.deps);
  await ready.deps.provisioner.drain();
  return ready;
}

describe('resume of a hibernated workspace on a warm pool member', () => {
  it("takes a member's task instead of starting one: the member's identity, the files restored, ready", async () => {
    const { deps, ws } = await hibernatedWithWarmMember();
    const member = [...deps.store.records.values()].find(
      (w) => w.tenantId === POOL_TENANT && w.status === 'ready',
    )!;
    const restoredBy: (string | null)[] = [];
    deps.workspaceAgent.afterArchiveIn = () =>
      restoredBy.push(deps.workspaceAgent.callsOf('archiveIn').at(-1)!.token);
    const starts = deps.runtime.calls.filter((c) => c.op === 'start').length;

    const resumed = await resumeWorkspace(deps, 't1', ws.id);
    expect(resumed).toMatchObject({
      id: ws.id,
      tenantId: 't1',
      status: 'ready',
      taskRef: member.taskRef,
      endpoint: member.endpoint,
      agentId: member.id,
    });
    expect(deps.runtime.calls.filter((c) => c.op === 'start')).toHaveLength(starts); // no task started
    // The member's agent accepts its own identity only: the restore went with a token signed for it.
    expect(restoredBy).toHaveLength(1);
    expect(isAgentTokenFor(restoredBy[0]!, member.id)).toBe(true);
    expect(Object.fromEntries(deps.workspaceAgent.filesOf(resumed.endpoint!))).toEqual({
      'notes.md': Buffer.from('keep me'),
      'src/main.py': Buffer.from('print(1)\n'),
    });
    expect(deps.store.peek(member.id)).toMatchObject({
      status: 'stopped',
      terminationReason: 'adopted',
      adoptedBy: ws.id,
    });
    // Commands go to the member's agent with its identity too.
    await runCommand(deps, 't1', ws.id, { cmd: ['true'] });
    expect(isAgentTokenFor(deps.workspaceAgent.callsOf('runCommand').at(-1)!.token!, member.id)).toBe(true);
  });

  it("the task's events and listings, which name the member, are the adopter's", async () => {
    const { deps, ws } = await hibernatedWithWarmMember();
    const resumed: WorkspaceRecord = await resumeWorkspace(deps, 't1', ws.id);
    const memberId = resumed.agentId!;

    // The sweep sees the task as the member's (ECS tags, startedBy): not an orphan, since its adopter holds it.
    await sweep(deps);
    expect(deps.runtime.calls).not.toContainEqual(
      expect.objectContaining({ op: 'stop', taskRef: resumed.taskRef }),
    );
    expect(deps.runtime.running()).toContain(resumed.taskRef);

    // It dies: the event names the member, and fails the adopter.
    deps.runtime.tasks.get(resumed.taskRef!)!.state = 'stopped';
    await onTaskStopped(deps, {
      taskRef: resumed.taskRef!,
      workspaceId: memberId,
      stoppedAt: deps.clock.now(),
      cause: 'container_exited',
      containers: [{ name: 'workspace', role: 'workspace', exitCode: 137, oomKilled: false, reason: null }],
      stoppedReason: 'killed',
    });
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'failed' });
  });

  it('pausing again stops the member task and forgets its identity; the next resume without members starts cold', async () => {
    const { deps, ws } = await hibernatedWithWarmMember();
    const onMember = await resumeWorkspace(deps, 't1', ws.id);
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    expect(paused).toMatchObject({ status: 'paused', taskRef: null, endpoint: null });
    expect(paused.agentId ?? null).toBeNull();
    expect(deps.runtime.running()).not.toContain(onMember.taskRef);

    deps.config.templates.default!.pool = { min: 0, max: 0 };
    const cold = await resumeWorkspace(deps, 't1', ws.id);
    expect(cold).toMatchObject({ status: 'ready' });
    expect(deps.runtime.tasks.get(cold.taskRef!)!.spec!.workspaceId).toBe(ws.id);
  });
});

import { describe, expect, it } from 'vitest';
import { sweep } from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';
import { hasSnapshot } from './support/tar-files.js';

describe('sweep', () => {
  it('stops a workspace whose lease ran out: files synced, task stopped, reason expired', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    deps.workspaceAgent.filesOf(ws.endpoint!).set('f', Buffer.from('x'));
    const report = await sweep(deps);
    expect(report.expired).toBe(1);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'expired' });
    expect(deps.runtime.tasks.get(ws.taskRef!)!.state).toBe('stopped');
    expect(hasSnapshot(deps.blobs, 't1', ws.conversationId)).toBe(true);
  });

  it('never asks the workspace whether it is busy: an expired lease ends whatever its agent would claim', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const report = await sweep(deps);
    expect(report.expired).toBe(1);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'expired' });
    // No health or activity probe it could answer (those are the agent calls without a token); the only call
    // is saving its files on the way out.
    expect(deps.workspaceAgent.calls.filter((c) => c.token === null)).toEqual([]);
    expect(deps.workspaceAgent.calls.length).toBeGreaterThan(0);
  });

  it('leaves workspaces within their lease alone', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const report = await sweep(deps);
    expect(report).toEqual({
      expired: 0,
      provisionTimedOut: 0,
      stoppingFinished: 0,
      orphanTasks: 0,
      orphanRecords: 0,
      errors: 0,
    });
    expect(deps.store.peek(ws.id)).toEqual(ws);
    expect(deps.runtime.callsOf('stop')).toEqual([]);
  });

  it('fails a workspace provisioning past its deadline with provision_failed:timeout, stopping its task', async () => {
    const deps = makeDeps();
    deps.runtime.addTask('tp', { workspaceId: 'ws_slow', endpoint: null, state: 'pending' });
    const ws = seedWorkspace(deps, {
      id: 'ws_slow',
      status: 'provisioning',
      taskRef: 'tp',
      deadlineAt: deps.clock.now() - 1,
    });
    const report = await sweep(deps);
    expect(report.provisionTimedOut).toBe(1);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:timeout',
    });
    expect(deps.runtime.tasks.get('tp')!.state).toBe('stopped');
    expect(deps.store.bindings.size).toBe(0);
  });

  it('finishes a workspace stuck stopping as stopped', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, {
      status: 'stopping',
      terminationReason: 'deleted',
      deadlineAt: deps.clock.now() - 1,
    });
    const report = await sweep(deps);
    expect(report.stoppingFinished).toBe(1);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(deps.runtime.tasks.get(ws.taskRef!)!.state).toBe('stopped');
  });

  it('stops orphan tasks: one without a record, one whose record ended', async () => {
    const deps = makeDeps();
    deps.runtime.addTask('nobody', { workspaceId: 'ws_gone' });
    deps.runtime.addTask('unlabelled', { workspaceId: null });
    const ended = seedWorkspace(deps, { status: 'failed', terminationReason: 'oom', taskRef: 'late' });
    deps.runtime.addTask('late', { workspaceId: ended.id });
    const live = seedWorkspace(deps);
    const report = await sweep(deps);
    expect(report.orphanTasks).toBe(3);
    expect(
      deps.runtime
        .callsOf('stop')
        .map((c) => c.taskRef)
        .sort(),
    ).toEqual(['late', 'nobody', 'unlabelled']);
    expect(deps.runtime.tasks.get(live.taskRef!)!.state).toBe('running');
  });

  it('stops a task of a live workspace that is not the task it records', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.addTask('second', { workspaceId: ws.id });
    await sweep(deps);
    expect(deps.runtime.tasks.get('second')!.state).toBe('stopped');
    expect(deps.runtime.tasks.get(ws.taskRef!)!.state).toBe('running');
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('leaves a workspace whose task stopped moments ago to its task-state event, then closes it', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.setState(ws.taskRef!, 'stopped', { stoppedAt: deps.clock.now() - 1000 });
    expect((await sweep(deps)).orphanRecords).toBe(0);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
    // The event never came: past the grace the sweep closes it.
    deps.clock.advance(deps.config.taskEventGraceMs);
    expect((await sweep(deps)).orphanRecords).toBe(1);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'failed', terminationReason: 'orphan' });
  });

  it('fails a ready workspace whose task is gone with orphan', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.tasks.delete(ws.taskRef!);
    const paused = seedWorkspace(deps, { status: 'paused' });
    deps.runtime.setState(paused.taskRef!, 'stopped');
    const report = await sweep(deps);
    expect(report.orphanRecords).toBe(2);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'failed', terminationReason: 'orphan' });
    expect(deps.store.peek(paused.id)).toMatchObject({ status: 'failed', terminationReason: 'orphan' });
  });

  it('does not touch a provisioning workspace whose task is not listed yet', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: 'not-yet-listed' });
    const report = await sweep(deps);
    expect(report.orphanRecords).toBe(0);
    expect(deps.store.peek(ws.id)).toEqual(ws);
  });

  it('pages through every live workspace', async () => {
    const deps = makeDeps();
    const gone = Array.from({ length: 5 }, () => seedWorkspace(deps));
    for (const ws of gone) deps.runtime.tasks.delete(ws.taskRef!);
    const report = await sweep(deps, { limit: 2 });
    expect(report.orphanRecords).toBe(5);
  });

  it('counts a failing step as an error and goes on with the rest', async () => {
    const deps = makeDeps();
    const a = seedWorkspace(deps, { expiresAt: deps.clock.now() - 2 });
    const b = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const stop = deps.runtime.stop.bind(deps.runtime);
    deps.runtime.stop = async (ref, reason) => {
      if (ref === a.taskRef) throw new Error('ECS is down');
      return stop(ref, reason);
    };
    const report = await sweep(deps);
    expect(report.errors).toBeGreaterThanOrEqual(1);
    expect(deps.store.peek(b.id)!.status).toBe('stopped');
  });

  // listDue reads an eventually consistent index: what it hands out may be stale by the time the sweep acts.
  it('does not stop a workspace whose lease a keepalive extended after listDue read it', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { expiresAt: deps.clock.now() - 1 });
    const listDue = deps.store.listDue.bind(deps.store);
    deps.store.listDue = async (now, limit) => {
      const due = await listDue(now, limit);
      await deps.store.update(ws.id, ws.version, { expiresAt: now + 600_000, lastActiveAt: now });
      return due;
    };
    await sweep(deps);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
    expect(deps.runtime.running()).toEqual([ws.taskRef]);
  });

  it('does not fail a workspace that became ready after listDue saw it past its provisioning deadline', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, {
      status: 'provisioning',
      taskRef: null,
      deadlineAt: deps.clock.now() - 1,
    });
    deps.runtime.addTask('t-ready', { workspaceId: ws.id });
    const listDue = deps.store.listDue.bind(deps.store);
    deps.store.listDue = async (now, limit) => {
      const due = await listDue(now, limit);
      await deps.store.update(ws.id, ws.version, {
        status: 'ready',
        readyAt: now,
        deadlineAt: null,
        taskRef: 't-ready',
      });
      return due;
    };
    await sweep(deps);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'ready', terminationReason: null });
    expect(deps.runtime.running()).toEqual(['t-ready']);
  });
});

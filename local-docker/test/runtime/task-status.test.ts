import type { ContainerInfo, ContainerInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  exitCodeFromStatusText,
  missingStatus,
  statusFromInspect,
  statusFromSummary,
  stoppedReason,
  dockerTaskState,
} from '../../src/runtime/task-status.js';

const ctx = { stateDir: '/state', labelPrefix: 'dev.berth' };
const labels = { 'dev.berth.managed': 'true', 'dev.berth.workspace-id': 'ws_1' };

const inspect = (state: Partial<ContainerInspectInfo['State']>): ContainerInspectInfo =>
  ({
    Id: 'abc',
    State: { Status: 'running', Paused: false, OOMKilled: false, ExitCode: 0, Error: '', ...state },
    Config: { Labels: labels },
  }) as unknown as ContainerInspectInfo;

describe('dockerTaskState', () => {
  it.each([
    ['created', 'pending'],
    ['restarting', 'pending'],
    ['running', 'running'],
    ['paused', 'paused'],
    ['exited', 'stopped'],
    ['dead', 'stopped'],
    ['removing', 'stopped'],
  ] as const)('%s → %s', (docker, ours) => expect(dockerTaskState(docker)).toBe(ours));
  it('a paused flag wins', () => expect(dockerTaskState('running', true)).toBe('paused'));
});

describe('stoppedReason', () => {
  it('OOM wins over the 137 it causes', () =>
    expect(stoppedReason({ exitCode: 137, oomKilled: true })).toBe('oom'));
  it('137 without OOM is a kill', () =>
    expect(stoppedReason({ exitCode: 137, oomKilled: false })).toBe('killed'));
  it('otherwise the exit code', () =>
    expect(stoppedReason({ exitCode: 3, oomKilled: false })).toBe('exited:3'));
  it('an engine error is named', () =>
    expect(stoppedReason({ exitCode: 127, oomKilled: false, error: 'exec: not found' })).toBe(
      'error:exec: not found',
    ));
});

describe('statusFromInspect', () => {
  it('running: endpoint is the socket in the agent dir, no exit data', () => {
    expect(statusFromInspect(inspect({}), ctx)).toEqual({
      taskRef: 'abc',
      state: 'running',
      endpoint: { kind: 'uds', socketPath: '/state/workspaces/ws_1/disk/agent/agent.sock' },
      workspaceId: 'ws_1',
      stoppedReason: null,
      exitCode: null,
      oomKilled: false,
      stoppedAt: null,
    });
  });
  it('paused keeps its endpoint', () => {
    expect(statusFromInspect(inspect({ Status: 'paused', Paused: true }), ctx)).toMatchObject({
      state: 'paused',
      endpoint: { kind: 'uds' },
    });
  });
  it('created: pending, no endpoint yet', () => {
    expect(statusFromInspect(inspect({ Status: 'created' }), ctx)).toMatchObject({
      state: 'pending',
      endpoint: null,
    });
  });
  it('OOM-killed', () => {
    expect(
      statusFromInspect(inspect({ Status: 'exited', ExitCode: 137, OOMKilled: true }), ctx),
    ).toMatchObject({
      state: 'stopped',
      endpoint: null,
      stoppedReason: 'oom',
      exitCode: 137,
      oomKilled: true,
    });
  });
  it('stopped: when, from FinishedAt; Docker\'s "never" (0001-01-01) is no time', () => {
    const at = '2026-11-22T10:00:05.123456789Z';
    expect(statusFromInspect(inspect({ Status: 'exited', ExitCode: 0, FinishedAt: at }), ctx).stoppedAt).toBe(
      Date.parse(at),
    );
    const never = inspect({ Status: 'exited', FinishedAt: '0001-01-01T00:00:00Z' });
    expect(statusFromInspect(never, ctx).stoppedAt).toBeNull();
    expect(statusFromInspect(inspect({ FinishedAt: at }), ctx).stoppedAt).toBeNull(); // running
  });
  it('exited', () => {
    expect(statusFromInspect(inspect({ Status: 'exited', ExitCode: 1 }), ctx)).toMatchObject({
      state: 'stopped',
      stoppedReason: 'exited:1',
      exitCode: 1,
    });
  });
  it('no workspace label → no workspace id, no endpoint', () => {
    const info = inspect({});
    info.Config.Labels = { 'dev.berth.managed': 'true' };
    expect(statusFromInspect(info, ctx)).toMatchObject({ workspaceId: null, endpoint: null });
  });
});

describe('statusFromSummary', () => {
  const summary = (State: string, Status: string) =>
    ({ Id: 'abc', State, Status, Labels: labels }) as unknown as ContainerInfo;
  it('running', () =>
    expect(statusFromSummary(summary('running', 'Up 3 seconds'), ctx)).toMatchObject({
      state: 'running',
      workspaceId: 'ws_1',
      endpoint: { kind: 'uds' },
    }));
  it('exited reads the code from the status text', () =>
    expect(statusFromSummary(summary('exited', 'Exited (2) 1 second ago'), ctx)).toMatchObject({
      state: 'stopped',
      exitCode: 2,
      stoppedReason: 'exited:2',
    }));
  it('parses exit codes', () => {
    expect(exitCodeFromStatusText('Exited (137) 5 minutes ago')).toBe(137);
    expect(exitCodeFromStatusText('Up 2 hours (Paused)')).toBeNull();
  });
});

it('missingStatus', () =>
  expect(missingStatus('x')).toEqual({
    taskRef: 'x',
    state: 'missing',
    endpoint: null,
    workspaceId: null,
    stoppedReason: null,
    exitCode: null,
    oomKilled: false,
    stoppedAt: null,
  }));

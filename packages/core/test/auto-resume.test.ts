import { describe, expect, it } from 'vitest';
import {
  ApiError,
  pauseWorkspace,
  readAll,
  readWorkspaceFile,
  runCommand,
  streamAgentRun,
  writeWorkspaceFile,
  type WorkspaceRecord,
} from '@berth/core';
import { makeDeps, recordingLogger, seedWorkspace, type TestDeps } from './support/make-deps.js';

/** The state of the workspace's container at each agent call: a frozen one could never have answered. */
function containerStateAtAgentCalls(deps: TestDeps, ws: WorkspaceRecord): string[] {
  const seen: string[] = [];
  const agent = deps.workspaceAgent as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const op of ['runCommand', 'readFile', 'writeFile', 'streamAgentRun']) {
    const call = agent[op]!.bind(agent);
    agent[op] = (...args) => {
      seen.push(deps.runtime.tasks.get(ws.taskRef!)!.state);
      return call(...args);
    };
  }
  return seen;
}

function pausedWorkspace() {
  const { log, lines } = recordingLogger();
  const deps = makeDeps({ log });
  const ws = seedWorkspace(deps, { status: 'paused' });
  const seen = containerStateAtAgentCalls(deps, ws);
  const autoResumed = () => lines.filter((l) => l.message === 'workspace auto-resumed');
  return { deps, ws, seen, autoResumed };
}

describe('a paused workspace resumes when used', () => {
  it('exec resumes it, then runs on the thawed container', async () => {
    const { deps, ws, seen, autoResumed } = pausedWorkspace();
    const r = await runCommand(deps, 't1', ws.id, { cmd: ['echo', 'hi'] });
    expect(r.stdout).toBe('echo hi\n');
    expect(seen).toEqual(['running']);
    expect(deps.runtime.callsOf('resume')).toEqual([{ op: 'resume', taskRef: ws.taskRef }]);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
    expect(autoResumed()).toEqual([
      {
        level: 'info',
        message: 'workspace auto-resumed',
        attributes: { workspaceId: ws.id, tenantId: 't1', conversationId: ws.conversationId },
      },
    ]);
  });

  it('file writes and reads resume it, each time it was paused again', async () => {
    const { deps, ws, seen, autoResumed } = pausedWorkspace();
    await writeWorkspaceFile(deps, 't1', ws.id, 'a.txt', Buffer.from('abc'));
    await pauseWorkspace(deps, 't1', ws.id);
    const read = await readWorkspaceFile(deps, 't1', ws.id, 'a.txt');
    expect(read.kind === 'file' && (await readAll(read.body, 1024)).toString()).toBe('abc');
    expect(seen).toEqual(['running', 'running']);
    expect(deps.runtime.callsOf('resume')).toHaveLength(2);
    expect(autoResumed()).toHaveLength(2);
  });

  it('an agent run resumes it and streams as usual', async () => {
    const { deps, ws, seen } = pausedWorkspace();
    const stream = await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' });
    expect((await readAll(stream.body, 1 << 20)).toString()).toContain('event: result');
    expect(seen).toEqual(['running']);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('concurrent calls resume it once, and all of them are served', async () => {
    const { deps, ws, seen, autoResumed } = pausedWorkspace();
    const results = await Promise.all([
      runCommand(deps, 't1', ws.id, { cmd: ['a'] }),
      runCommand(deps, 't1', ws.id, { cmd: ['b'] }),
      writeWorkspaceFile(deps, 't1', ws.id, 'x', Buffer.from('x')),
      streamAgentRun(deps, 't1', ws.id, { prompt: 'p' }).then((s) => readAll(s.body, 1 << 20)),
    ]);
    expect(results).toHaveLength(4);
    expect(seen).toEqual(['running', 'running', 'running', 'running']);
    expect(deps.runtime.callsOf('resume')).toHaveLength(1);
    expect(autoResumed()).toHaveLength(1);
  });

  it('a resume lost to another one (its container already thawed) still serves the call', async () => {
    const { deps, ws, seen } = pausedWorkspace();
    // Another process thaws the container and marks the record ready first: our unpause is refused.
    deps.runtime.resume = async (taskRef) => {
      deps.runtime.setState(taskRef, 'running');
      deps.store.seed({ ...deps.store.peek(ws.id)!, status: 'ready', version: ws.version + 1 });
      throw new Error('container is not paused');
    };
    const r = await runCommand(deps, 't1', ws.id, { cmd: ['echo', 'hi'] });
    expect(r.stdout).toBe('echo hi\n');
    expect(seen).toEqual(['running']);
  });

  it('a runtime that cannot resume gives its own error, and the agent is not called', async () => {
    const { deps, ws } = pausedWorkspace();
    deps.runtime.resume = () =>
      Promise.reject(new ApiError('unprocessable', 'pause and resume are not supported on ECS'));
    const e = (await runCommand(deps, 't1', ws.id, { cmd: ['ls'] }).catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.message).toContain('not supported');
    expect(deps.workspaceAgent.calls).toEqual([]);
    expect(deps.store.peek(ws.id)!.status).toBe('paused');
  });

  it('a workspace stopped while its resume was refused answers as an ended one', async () => {
    const { deps, ws } = pausedWorkspace();
    deps.runtime.resume = async () => {
      deps.store.seed({ ...deps.store.peek(ws.id)!, status: 'stopping', version: ws.version + 1 });
      throw new Error('container is stopping');
    };
    const e = (await runCommand(deps, 't1', ws.id, { cmd: ['ls'] }).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('workspace_ended');
    expect(deps.workspaceAgent.calls).toEqual([]);
  });
});

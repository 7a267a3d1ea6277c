import { describe, expect, it } from 'vitest';
import {
  WorkspaceAgentError,
  ApiError,
  runCommand,
  readWorkspaceFile,
  readAll,
  writeWorkspaceFile,
  deleteWorkspaceFile,
  type WorkspaceStatus,
} from '@berth/core';
import { isAgentTokenFor, makeDeps, seedWorkspace } from './support/make-deps.js';

const run = (deps: ReturnType<typeof makeDeps>, id: string, tenant = 't1') =>
  runCommand(deps, tenant, id, { cmd: ['echo', 'hi'] }).catch((e: unknown) => e as ApiError);

describe('exec', () => {
  it('runs argv on the agent with the workspace token and a capped timeout', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const r = await runCommand(deps, 't1', ws.id, {
      cmd: ['echo', 'hi'],
      cwd: '/workspace/src',
      timeoutMs: 5000,
    });
    expect(r.stdout).toBe('echo hi\n');
    const call = deps.workspaceAgent.callsOf('runCommand')[0]!;
    expect(isAgentTokenFor(call.token, ws.id)).toBe(true);
    expect(call.req).toMatchObject({ cmd: ['echo', 'hi'], cwd: 'src', timeoutMs: 5000 });
    await runCommand(deps, 't1', ws.id, { cmd: ['x'] });
    expect(deps.workspaceAgent.callsOf('runCommand')[1]!.req!.timeoutMs).toBe(
      deps.config.commands.defaultTimeoutMs,
    );
  });

  it('refuses a cwd outside the workspace before reaching the agent', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const e = await runCommand(deps, 't1', ws.id, { cmd: ['ls'], cwd: '../..' }).catch((x) => x);
    expect(e.code).toBe('invalid_path');
    expect(deps.workspaceAgent.calls).toEqual([]);
  });

  it.each([
    ['provisioning', 'not_ready'],
    ['failed', 'container_lost'],
    ['stopping', 'workspace_ended'],
    ['stopped', 'workspace_ended'],
  ] as [WorkspaceStatus, string][])(
    'a %s workspace answers %s (409) without calling the agent',
    async (status, code) => {
      const deps = makeDeps();
      const ws = seedWorkspace(deps, { status, terminationReason: status === 'failed' ? 'oom' : null });
      const e = await run(deps, ws.id);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe(code);
      expect((e as ApiError).status).toBe(409);
      expect(deps.workspaceAgent.calls).toEqual([]);
    },
  );

  it('not_ready asks the client to retry shortly', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning' });
    expect(((await run(deps, ws.id)) as ApiError).details.retryAfterSeconds).toBe(1);
  });

  it('an unreachable agent whose task stopped fails the workspace: container_lost, not a hang', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.setState(ws.taskRef!, 'stopped', { stoppedReason: 'Essential container in task exited' });
    deps.workspaceAgent.unreachable = true;
    const e = (await run(deps, ws.id)) as ApiError;
    expect(e.code).toBe('container_lost');
    expect(e.message).toContain('Essential container in task exited');
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'task_stopped:Essential container in task exited',
    });
    expect(deps.store.bindings.size).toBe(0);
    // The next call sees the ended workspace at once.
    expect(((await run(deps, ws.id)) as ApiError).code).toBe('container_lost');
  });

  it('an unreachable agent of an OOM-killed task fails the workspace with oom', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.setState(ws.taskRef!, 'stopped', { oomKilled: true, stoppedReason: 'OOMKilled' });
    deps.workspaceAgent.unreachable = true;
    expect(((await run(deps, ws.id)) as ApiError).code).toBe('container_lost');
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('oom');
  });

  it('an unreachable agent of a missing task fails the workspace too', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.runtime.tasks.delete(ws.taskRef!);
    deps.workspaceAgent.unreachable = true;
    expect(((await run(deps, ws.id)) as ApiError).code).toBe('container_lost');
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('task_stopped:missing');
  });

  it('an unreachable agent of a running task is a retryable 503, and the workspace stays ready', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.unreachable = true;
    const e = (await run(deps, ws.id)) as ApiError;
    expect(e.code).toBe('capacity');
    expect(e.status).toBe(503);
    expect(e.details.retryAfterSeconds).toBe(1);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it("the agent's 4xx keep their meaning; its 5xx become a bare internal error", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.onCommand = () => {
      throw new WorkspaceAgentError(400, 'invalid_request', 'cwd does not exist');
    };
    expect(((await run(deps, ws.id)) as ApiError).code).toBe('invalid_request');
    deps.workspaceAgent.onCommand = () => {
      throw new WorkspaceAgentError(500, 'internal', 'secret stack at /srv/agent.js:12');
    };
    const e = (await run(deps, ws.id)) as ApiError;
    expect(e.code).toBe('internal');
    expect(e.message).not.toContain('secret');
  });

  it("another tenant's workspace is not_found", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    expect(((await run(deps, ws.id, 't2')) as ApiError).code).toBe('not_found');
    expect(deps.workspaceAgent.calls).toEqual([]);
  });

  it('activity moves the lease on, at most once per interval', async () => {
    const deps = makeDeps({ config: { activityWriteIntervalMs: 1000 } });
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 600, expiresAt: deps.clock.now() + 60_000 });
    await runCommand(deps, 't1', ws.id, { cmd: ['a'] });
    await new Promise((r) => setTimeout(r, 10));
    expect(deps.store.peek(ws.id)!.version).toBe(1);
    deps.clock.advance(2000);
    await runCommand(deps, 't1', ws.id, { cmd: ['a'] });
    await new Promise((r) => setTimeout(r, 10));
    const after = deps.store.peek(ws.id)!;
    expect(after.lastActiveAt).toBe(deps.clock.now());
    expect(after.expiresAt).toBe(deps.clock.now() + 600_000);
  });
});

describe('files', () => {
  it('writes, reads and lists through the agent with paths made relative', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await writeWorkspaceFile(deps, 't1', ws.id, '/workspace/dir/a.txt', Buffer.from('A'));
    expect(deps.workspaceAgent.callsOf('writeFile')[0]!.path).toBe('dir/a.txt');
    const file = await readWorkspaceFile(deps, 't1', ws.id, 'dir/a.txt');
    if (file.kind !== 'file') throw new Error('expected a file');
    expect(file.size).toBe(1);
    expect(await readAll(file.body, 1024)).toEqual(Buffer.from('A'));
    const dir = await readWorkspaceFile(deps, 't1', ws.id, 'dir');
    expect(dir.kind === 'dir' && dir.entries.map((e) => e.name)).toEqual(['a.txt']);
  });

  it('refuses traversal and deleting the root', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    expect((await readWorkspaceFile(deps, 't1', ws.id, '../etc/passwd').catch((e) => e)).code).toBe(
      'invalid_path',
    );
    expect((await deleteWorkspaceFile(deps, 't1', ws.id, '/workspace').catch((e) => e)).code).toBe(
      'invalid_path',
    );
    expect(deps.workspaceAgent.calls).toEqual([]);
  });

  it("a missing file is the agent's not_found", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const e = await readWorkspaceFile(deps, 't1', ws.id, 'nope').catch((x) => x);
    expect(e).toMatchObject({ code: 'not_found', status: 404 });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import {
  runCommand,
  streamAgentRun,
  keepalive,
  readWorkspaceFile,
  touchActivity,
  type CommandResult,
} from '@berth/core';
import { makeDeps, seedWorkspace } from './support/make-deps.js';

/** Lets pending promise chains (a beat's read and write on the memory store) run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('the lease rule: never beyond now + ttl.maxSeconds', () => {
  it('a keepalive with the stored ttl above the maximum (config lowered since) is capped', async () => {
    const deps = makeDeps({ config: { ttl: { maxSeconds: 600 } } });
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 3600 });
    const after = await keepalive(deps, 't1', ws.id);
    expect(after.expiresAt).toBe(deps.clock.now() + 600_000);
  });

  it('activity moves a lease to now + ttl, keeps a longer one, and cuts one past the maximum', async () => {
    const deps = makeDeps({ config: { ttl: { maxSeconds: 600 }, activityWriteIntervalMs: 0 } });
    deps.clock.freeze();
    const now = deps.clock.now();
    const short = seedWorkspace(deps, { ttlSeconds: 300, expiresAt: now + 1000, lastActiveAt: now - 1 });
    const long = seedWorkspace(deps, { ttlSeconds: 300, expiresAt: now + 500_000, lastActiveAt: now - 1 });
    const past = seedWorkspace(deps, { ttlSeconds: 300, expiresAt: now + 5_000_000, lastActiveAt: now - 1 });
    for (const ws of [short, long, past]) await touchActivity(deps, ws);
    expect(deps.store.peek(short.id)!.expiresAt).toBe(now + 300_000);
    expect(deps.store.peek(long.id)!.expiresAt).toBe(now + 500_000);
    expect(deps.store.peek(past.id)!.expiresAt).toBe(now + 600_000);
  });
});

describe('calls the control plane follows are activity while they last', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());

  it('an agent run whose stream stays open moves the lease every interval, and stops when it ends', async () => {
    const deps = makeDeps({ config: { activityWriteIntervalMs: 10_000 } });
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 60, expiresAt: deps.clock.now() + 60_000 });
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    deps.workspaceAgent.onAgentRun = async function* () {
      yield 'event: message\ndata: {}\n\n';
      await done;
      yield 'event: result\ndata: {}\n\n';
    };
    const stream = await streamAgentRun(deps, 't1', ws.id, { prompt: 'hi' });
    stream.body.resume();

    // Two minutes of an open stream: well past the 60 s lease, which follows it.
    for (let i = 0; i < 12; i++) {
      deps.clock.advance(10_000);
      vi.advanceTimersByTime(10_000);
      await settle();
    }
    const during = deps.store.peek(ws.id)!;
    expect(during.lastActiveAt).toBe(deps.clock.now());
    expect(during.expiresAt).toBe(deps.clock.now() + 60_000);

    finish();
    await new Promise((r) => stream.body.once('close', r));
    await settle();
    const ended = deps.store.peek(ws.id)!;
    // Nothing more once the stream is over: the lease runs out a ttl after the end.
    deps.clock.advance(30_000);
    vi.advanceTimersByTime(30_000);
    await settle();
    expect(deps.store.peek(ws.id)!.version).toBe(ended.version);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('one call extends the lease for at most ttl.maxSeconds, however long it stays open', async () => {
    const deps = makeDeps({ config: { activityWriteIntervalMs: 10_000, ttl: { maxSeconds: 120 } } });
    deps.clock.freeze();
    const started = deps.clock.now();
    const ws = seedWorkspace(deps, { ttlSeconds: 60, expiresAt: started + 60_000 });
    deps.workspaceAgent.readFile = async () => ({ kind: 'file', body: new PassThrough(), size: 1 });
    const read = await readWorkspaceFile(deps, 't1', ws.id, 'never-ends');
    for (let i = 0; i < 30; i++) {
      deps.clock.advance(10_000);
      vi.advanceTimersByTime(10_000);
      await settle();
    }
    // The last beat was at 120 s: the lease ends a ttl after it, though the download is still open.
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(started + 120_000 + 60_000);
    if (read.kind === 'file') read.body.destroy();
    await settle();
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(started + 120_000 + 60_000);
  });

  it('a file download is followed until its body is consumed or dropped', async () => {
    const deps = makeDeps({ config: { activityWriteIntervalMs: 10_000 } });
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 60, expiresAt: deps.clock.now() + 60_000 });
    const body = new PassThrough();
    deps.workspaceAgent.readFile = async () => ({ kind: 'file', body, size: 1 });
    const read = await readWorkspaceFile(deps, 't1', ws.id, 'big.bin');
    for (let i = 0; i < 9; i++) {
      deps.clock.advance(10_000);
      vi.advanceTimersByTime(10_000);
      await settle();
    }
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(deps.clock.now() + 60_000);
    expect(read.kind === 'file' && read.body).toBe(body);
    body.destroy(); // the client went away
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a JSON exec that runs long is followed too, and a client that never calls again lets it expire', async () => {
    const deps = makeDeps({ config: { activityWriteIntervalMs: 10_000 } });
    deps.clock.freeze();
    const ws = seedWorkspace(deps, { ttlSeconds: 60, expiresAt: deps.clock.now() + 60_000 });
    let exit!: (r: CommandResult) => void;
    deps.workspaceAgent.onCommand = () => new Promise<CommandResult>((r) => (exit = r));
    const call = runCommand(deps, 't1', ws.id, { cmd: ['sleep', '300'] });
    await settle();
    for (let i = 0; i < 9; i++) {
      deps.clock.advance(10_000);
      vi.advanceTimersByTime(10_000);
      await settle();
    }
    expect(deps.store.peek(ws.id)!.expiresAt).toBe(deps.clock.now() + 60_000);
    exit({
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
      durationMs: 90_000,
      timedOut: false,
      truncated: false,
    });
    await call;
    expect(vi.getTimerCount()).toBe(0);
  });
});

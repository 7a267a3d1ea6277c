import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  WorkspaceAgentError,
  ApiError,
  METRIC,
  streamAgentRun,
  readAll,
  snapshotManifestKey,
  type ServiceMetrics,
  type WorkspaceStatus,
} from '@berth/core';
import {
  isAgentTokenFor,
  makeDeps,
  recordingLogger,
  seedWorkspace,
  type TestDeps,
} from './support/make-deps.js';
import { snapshotFiles } from './support/tar-files.js';

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const changed = (...paths: string[]) => event('files_changed', { changed: paths, deleted: [] });

/** A promise with its resolver, to hold a fake agent or a sync at a chosen point. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** Reads a stream chunk by chunk, so a test can look at the world between chunks. */
function reader(body: Readable) {
  const it = body[Symbol.asyncIterator]();
  let text = '';
  return {
    get text() {
      return text;
    },
    async readUntil(needle: string) {
      while (!text.includes(needle)) {
        const next = await it.next();
        if (next.done) throw new Error(`stream ended before ${JSON.stringify(needle)}`);
        text += (next.value as Buffer).toString('utf8');
      }
    },
    async rest() {
      for (let next = await it.next(); !next.done; next = await it.next())
        text += (next.value as Buffer).toString('utf8');
      return text;
    },
  };
}

const archiveCalls = (deps: TestDeps) => deps.workspaceAgent.callsOf('archiveOut').length;

function recordingMetrics() {
  const seen: { name: string; value: number }[] = [];
  const metrics: ServiceMetrics = {
    count: (name, value = 1) => seen.push({ name, value }),
    duration: (name, ms) => seen.push({ name, value: ms }),
  };
  return { metrics, seen };
}

describe('execute', () => {
  it('sends the request to the agent with the workspace token and relays its bytes unchanged', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    // Events split at awkward places: inside a field name, between CR and LF, inside a UTF-8 character.
    const wire = Buffer.from(
      event('message', { type: 'assistant', text: 'héllo ✓' }) +
        'event: files_changed\r\ndata: {"changed":["a.txt"],"deleted":[]}\r\n\r\n' +
        event('result', { subtype: 'success', session_id: 's1' }),
    );
    const cuts = [3, 9, 17, 40, 41, 72, 73, 74, 90, wire.length];
    deps.workspaceAgent.onAgentRun = () => cuts.map((end, i) => wire.subarray(cuts[i - 1] ?? 0, end));
    const input = { prompt: 'do it', sessionId: 's0', maxTurns: 5, allowedTools: ['Read'], model: 'm-1' };
    const stream = await streamAgentRun(deps, 't1', ws.id, input);
    expect(stream).toMatchObject({ status: 200, contentType: 'text/event-stream' });
    expect(await readAll(stream.body, 1 << 20)).toEqual(wire);
    const call = deps.workspaceAgent.callsOf('streamAgentRun')[0]!;
    expect(isAgentTokenFor(call.token, ws.id)).toBe(true);
    expect(call.agentRunReq).toEqual(input);
    // The files_changed event, split across chunks and CR LF-terminated, was seen: one sync and the final one.
    expect(archiveCalls(deps)).toBeGreaterThanOrEqual(1);
  });

  it('a files_changed event saves the files to the blob store while the stream goes on', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const agentDone = gate();
    deps.workspaceAgent.onAgentRun = async function* () {
      deps.workspaceAgent.filesOf(ws.endpoint!).set('report.md', Buffer.from('v1'));
      yield changed('report.md');
      await agentDone.opened;
      yield event('result', { subtype: 'success' });
    };
    const r = reader((await streamAgentRun(deps, 't1', ws.id, { prompt: 'write' })).body);
    await r.readUntil('files_changed');
    const key = snapshotManifestKey(ws.tenantId, ws.conversationId);
    await until(() => deps.blobs.objects.has(key), 'the snapshot');
    expect(await snapshotFiles(deps.blobs, ws.tenantId, ws.conversationId)).toEqual({
      'report.md': Buffer.from('v1').toString('base64'),
    });
    agentDone.open();
    await r.rest();
  });

  it('coalesces syncs: three quick files_changed while one sync is in flight make one more, then the final', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const firstSync = gate();
    const agentDone = gate();
    let holds = 1;
    deps.workspaceAgent.beforeArchiveOut = () => (holds-- > 0 ? firstSync.opened : Promise.resolve());
    deps.workspaceAgent.onAgentRun = async function* () {
      yield changed('a') + changed('b');
      yield changed('c');
      await agentDone.opened;
      // Changed after the last event (no event for it): only the final sync can save it.
      deps.workspaceAgent.filesOf(ws.endpoint!).set('late.txt', Buffer.from('late'));
      yield event('result', { subtype: 'success' });
    };
    const r = reader((await streamAgentRun(deps, 't1', ws.id, { prompt: 'go' })).body);
    await r.readUntil('"c"');
    await new Promise((res) => setTimeout(res, 20));
    expect(archiveCalls(deps)).toBe(1); // the first sync, held; b and c wait as one queued sync
    firstSync.open();
    await until(() => archiveCalls(deps) === 2, 'the queued sync');
    await new Promise((res) => setTimeout(res, 20));
    expect(archiveCalls(deps)).toBe(2);
    agentDone.open();
    const text = await r.rest();
    expect(text.endsWith(event('result', { subtype: 'success' }))).toBe(true);
    // The final sync ran before the stream ended, and it has the late file.
    expect(archiveCalls(deps)).toBe(3);
    const snapshot = await snapshotFiles(deps.blobs, ws.tenantId, ws.conversationId);
    expect(Object.keys(snapshot!)).toContain('late.txt');
  });

  it('a run without files_changed syncs nothing', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await readAll((await streamAgentRun(deps, 't1', ws.id, { prompt: 'just talk' })).body, 1 << 20);
    expect(archiveCalls(deps)).toBe(0);
    expect(deps.blobs.objects.size).toBe(0);
  });

  it('a failing sync is logged and counted, and never breaks the stream', async () => {
    const { log, lines } = recordingLogger();
    const { metrics, seen } = recordingMetrics();
    const deps = makeDeps({ log, metrics });
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.beforeArchiveOut = () => Promise.reject(new Error('disk on fire'));
    const wire = changed('x') + event('result', { subtype: 'success' });
    deps.workspaceAgent.onAgentRun = () => [wire];
    const text = (
      await readAll((await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' })).body, 1 << 20)
    ).toString();
    expect(text).toBe(wire);
    const failures = lines.filter((l) => l.message === 'file sync during execute failed');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]!.attributes).toMatchObject({
      workspaceId: ws.id,
      tenantId: 't1',
      error: expect.stringContaining('disk on fire'),
    });
    expect(seen.filter((m) => m.name === METRIC.FileSyncFailed).length).toBe(failures.length);
    expect(seen.some((m) => m.name === METRIC.AgentRunFileSyncs)).toBe(false);
  });

  it('counts runs and syncs and times the run to the end of its stream', async () => {
    const { metrics, seen } = recordingMetrics();
    const { log, lines } = recordingLogger();
    const deps = makeDeps({ metrics, log });
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.onAgentRun = () => [changed('a'), event('result', {})];
    await readAll((await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' })).body, 1 << 20);
    const names = seen.map((m) => m.name);
    expect(names.filter((n) => n === METRIC.AgentRuns)).toHaveLength(1);
    expect(names.filter((n) => n === METRIC.AgentRunLatency)).toHaveLength(1);
    expect(names.filter((n) => n === METRIC.AgentRunFileSyncs).length).toBe(archiveCalls(deps));
    expect(lines.find((l) => l.message === 'execute ended')!.attributes).toMatchObject({
      workspaceId: ws.id,
      tenantId: 't1',
      filesChangedEvents: 1,
    });
  });

  it('skips syncing once the workspace is no longer ready (its stop syncs it)', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.onAgentRun = async function* () {
      deps.store.seed({ ...deps.store.peek(ws.id)!, status: 'stopping' });
      yield changed('a');
      yield event('result', {});
    };
    await readAll((await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' })).body, 1 << 20);
    expect(archiveCalls(deps)).toBe(0);
  });

  it('a client going away ends the agent run, and the files it changed are still saved', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.onAgentRun = async function* () {
      yield changed('a');
      await new Promise(() => {}); // thinks forever
    };
    const stream = await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' });
    stream.body.on('error', () => {});
    await reader(stream.body).readUntil('files_changed');
    const closed = new Promise((r) => stream.body.once('close', r));
    stream.body.destroy(new Error('client disconnected'));
    expect(deps.workspaceAgent.lastAgentRunBody!.destroyed).toBe(true); // the agent's socket closes: its run ends
    await closed;
    expect(deps.blobs.objects.has(snapshotManifestKey(ws.tenantId, ws.conversationId))).toBe(true);
  });

  it.each([
    ['provisioning', 'not_ready'],
    ['failed', 'container_lost'],
    ['stopped', 'workspace_ended'],
  ] as [WorkspaceStatus, string][])(
    'a %s workspace answers %s (409) without calling the agent',
    async (status, code) => {
      const deps = makeDeps();
      const ws = seedWorkspace(deps, { status, terminationReason: status === 'failed' ? 'oom' : null });
      const e = await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe(code);
      expect((e as ApiError).status).toBe(409);
      expect(deps.workspaceAgent.calls).toEqual([]);
    },
  );

  it("another tenant's workspace is not_found", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const e = (await streamAgentRun(deps, 't2', ws.id, { prompt: 'p' }).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('not_found');
    expect(deps.workspaceAgent.calls).toEqual([]);
  });

  it("the agent's 400 (a body it refuses) stays a 400", async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    deps.workspaceAgent.onAgentRun = () => {
      throw new WorkspaceAgentError(400, 'invalid_request', 'unknown tool');
    };
    const e = (await streamAgentRun(deps, 't1', ws.id, { prompt: 'p' }).catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_request');
  });
});

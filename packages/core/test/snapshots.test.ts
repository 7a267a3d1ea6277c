import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  WorkspaceAgentError,
  METRIC,
  RestoreIncomplete,
  keySegment,
  markFailedStep,
  readSnapshotManifest,
  restoreFilesFromBlob,
  saveSnapshot,
  snapshotKey,
  snapshotManifestKey,
  snapshotPrefix,
  syncFilesToBlob,
  type MetricName,
  type WorkspaceRecord,
} from '@berth/core';
import { makeDeps, recordingLogger, seedWorkspace, type TestDeps } from './support/make-deps.js';
import { putLegacySnapshot, snapshotFiles, tarOf } from './support/tar-files.js';

function setup() {
  const counts = new Map<MetricName, number>();
  const logger = recordingLogger();
  const deps = makeDeps({
    log: logger.log,
    metrics: { count: (n, v = 1) => counts.set(n, (counts.get(n) ?? 0) + v), duration() {} },
  });
  const ws = seedWorkspace(deps);
  const successor = seedWorkspace(deps, { conversationId: ws.conversationId });
  return { deps, ws, successor, counts, lines: logger.lines };
}

const files = (deps: TestDeps, ws: WorkspaceRecord) => deps.workspaceAgent.filesOf(ws.endpoint!);

const tarKeys = (deps: TestDeps, t: string, c: string) =>
  [...deps.blobs.objects.keys()].filter((k) => k.startsWith(snapshotPrefix(t, c)) && k.endsWith('.tar'));

describe('snapshot keys', () => {
  it('keep plain ids as they are and escape everything that could climb out or collide', () => {
    expect(snapshotKey('tenantA', 'conv-1_x.y')).toBe('tenants/tenantA/workspaces/conv-1_x.y/snapshot.tar');
    expect(snapshotPrefix('t', '.')).toBe('tenants/t/workspaces/%2E/');
    expect(snapshotPrefix('t', '..')).toBe('tenants/t/workspaces/%2E%2E/');
    expect(snapshotPrefix('t', 'a/../../x')).toBe('tenants/t/workspaces/a%2F..%2F..%2Fx/');
    expect(snapshotPrefix('../t', 'c')).toBe('tenants/..%2Ft/workspaces/c/');
    // Distinct ids, distinct segments: `%2E` itself is escaped.
    expect(new Set(['.', '%2E', '..', '%2E%2E', 'snapshot.tar', 'manifest.json'].map(keySegment)).size).toBe(
      6,
    );
    expect(keySegment("it's (*)!")).toBe('it%27s%20%28%2A%29%21');
  });
});

describe('saveSnapshot / restore', () => {
  it('saves a tar under a fresh key, commits the manifest last and deletes the previous tar', async () => {
    const { deps, ws, counts, lines } = setup();
    files(deps, ws).set('a.txt', Buffer.from('one'));
    await syncFilesToBlob(deps, ws);
    const first = await readSnapshotManifest(deps.blobs, ws.tenantId, ws.conversationId);
    expect(first).toMatchObject({ version: 1, files: 1, bytes: 3 });
    expect(first!.entries).toEqual([expect.objectContaining({ path: 'a.txt', type: 'file', size: 3 })]);
    files(deps, ws).set('b.txt', Buffer.from('two'));
    await syncFilesToBlob(deps, ws);
    const second = await readSnapshotManifest(deps.blobs, ws.tenantId, ws.conversationId);
    expect(second!.tar).not.toBe(first!.tar);
    expect(tarKeys(deps, ws.tenantId, ws.conversationId)).toEqual([
      snapshotPrefix(ws.tenantId, ws.conversationId) + second!.tar,
    ]);
    expect(await snapshotFiles(deps.blobs, ws.tenantId, ws.conversationId)).toEqual({
      'a.txt': Buffer.from('one').toString('base64'),
      'b.txt': Buffer.from('two').toString('base64'),
    });
    expect(counts.get(METRIC.SnapshotBytes)).toBe(first!.tarBytes + second!.tarBytes);
    expect(lines.find((l) => l.message === 'snapshot saved')?.attributes).toMatchObject({
      workspaceId: ws.id,
      tenantId: ws.tenantId,
      conversationId: ws.conversationId,
      files: 1,
      bytes: first!.tarBytes,
    });
  });

  it('restores into a successor and checks it against the manifest', async () => {
    const { deps, ws, successor } = setup();
    files(deps, ws).set('dir/a.bin', Buffer.from([0, 1, 255]));
    await syncFilesToBlob(deps, ws);
    expect(await restoreFilesFromBlob(deps, successor)).toBe(true);
    expect(files(deps, successor).get('dir/a.bin')).toEqual(Buffer.from([0, 1, 255]));
    expect(deps.workspaceAgent.callsOf('manifest')).toHaveLength(1);
  });

  it('a conversation without a snapshot restores nothing', async () => {
    const { deps, successor } = setup();
    expect(await restoreFilesFromBlob(deps, successor)).toBe(false);
  });

  it('a failing or malformed stream leaves the previous snapshot whole and no stray tar', async () => {
    const { deps, ws } = setup();
    files(deps, ws).set('keep.txt', Buffer.from('keep'));
    await syncFilesToBlob(deps, ws);
    const before = new Map(deps.blobs.objects);
    async function* broken() {
      yield Buffer.alloc(1024, 1);
      throw new Error('agent went away');
    }
    await expect(saveSnapshot(deps, ws, Readable.from(broken()))).rejects.toThrow();
    await expect(saveSnapshot(deps, ws, Readable.from([Buffer.from('not a tar')]))).rejects.toThrow();
    // Truncated: a valid start, no end-of-archive marker.
    const cut = tarOf([['x', Buffer.alloc(5000, 2)]]).subarray(0, 2048);
    await expect(saveSnapshot(deps, ws, Readable.from([cut]))).rejects.toThrow(/truncated/);
    expect(deps.blobs.objects).toEqual(before);
  });

  it('a crash before the manifest is written (the commit point) leaves the previous snapshot', async () => {
    const { deps, ws } = setup();
    files(deps, ws).set('v.txt', Buffer.from('v1'));
    await syncFilesToBlob(deps, ws);
    files(deps, ws).set('v.txt', Buffer.from('v2'));
    deps.blobs.put = async () => {
      throw new Error('blob store down');
    };
    await expect(syncFilesToBlob(deps, ws)).rejects.toThrow('blob store down');
    expect(tarKeys(deps, ws.tenantId, ws.conversationId)).toHaveLength(1);
    expect(await snapshotFiles(deps.blobs, ws.tenantId, ws.conversationId)).toEqual({
      'v.txt': Buffer.from('v1').toString('base64'),
    });
  });

  it('deletes tars of saves that never committed once they are an hour old, never a younger one', async () => {
    const { deps, ws } = setup();
    const prefix = snapshotPrefix(ws.tenantId, ws.conversationId);
    const orphan = (agoMs: number) =>
      `${prefix}snapshot-${(deps.clock.now() - agoMs).toString(36)}-0123456789ab.tar`;
    const old = orphan(2 * 3600_000);
    const young = orphan(60_000);
    deps.blobs.objects.set(old, Buffer.from('crashed save'));
    deps.blobs.objects.set(young, Buffer.from('save in flight'));
    await syncFilesToBlob(deps, ws);
    expect(deps.blobs.objects.has(old)).toBe(false);
    expect(deps.blobs.objects.has(young)).toBe(true);
  });

  it('an older save that commits after a newer one does not replace it', async () => {
    const { deps, ws } = setup();
    files(deps, ws).set('v.txt', Buffer.from('old'));
    const slow = await deps.workspaceAgent.archiveOut(
      { endpoint: ws.endpoint!, token: deps.agentTokens.tokenFor(ws.id) },
      '.',
    );
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* late() {
      await held;
      for await (const c of slow) yield c as Buffer;
    }
    const older = saveSnapshot(deps, ws, Readable.from(late()));
    deps.clock.advance(1000);
    files(deps, ws).set('v.txt', Buffer.from('new'));
    await syncFilesToBlob(deps, ws);
    release();
    await older;
    expect(await snapshotFiles(deps.blobs, ws.tenantId, ws.conversationId)).toEqual({
      'v.txt': Buffer.from('new').toString('base64'),
    });
    expect(tarKeys(deps, ws.tenantId, ws.conversationId)).toHaveLength(1);
  });

  it('replaces a legacy snapshot.tar, and still restores one that has no manifest (with a warning)', async () => {
    const { deps, ws, successor, lines } = setup();
    await putLegacySnapshot(deps.blobs, ws.tenantId, ws.conversationId, { 'old.txt': 'legacy' });
    expect(await restoreFilesFromBlob(deps, successor)).toBe(true);
    expect(files(deps, successor).get('old.txt')?.toString()).toBe('legacy');
    expect(lines.some((l) => l.level === 'warn' && /legacy snapshot/.test(l.message))).toBe(true);
    await syncFilesToBlob(deps, successor);
    expect(deps.blobs.objects.has(snapshotKey(ws.tenantId, ws.conversationId))).toBe(false);
    expect(deps.blobs.objects.has(snapshotManifestKey(ws.tenantId, ws.conversationId))).toBe(true);
  });
});

describe('restore_incomplete', () => {
  async function saved() {
    const s = setup();
    s.deps.workspaceAgent.filesOf(s.ws.endpoint!).set('a.txt', Buffer.from('a'.repeat(2000)));
    s.deps.workspaceAgent.filesOf(s.ws.endpoint!).set('b.txt', Buffer.from('b'));
    await syncFilesToBlob(s.deps, s.ws);
    const m = await readSnapshotManifest(s.deps.blobs, s.ws.tenantId, s.ws.conversationId);
    const tarKey = snapshotPrefix(s.ws.tenantId, s.ws.conversationId) + m!.tar;
    return { ...s, tarKey };
  }

  const incomplete = async (s: Awaited<ReturnType<typeof saved>>, why: RegExp) => {
    const e = await restoreFilesFromBlob(s.deps, s.successor).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RestoreIncomplete);
    expect((e as Error).message).toMatch(why);
    expect(s.counts.get(METRIC.RestoreIncomplete)).toBe(1);
    expect(s.lines.find((l) => l.message === 'snapshot restore incomplete')?.attributes).toMatchObject({
      workspaceId: s.successor.id,
      conversationId: s.ws.conversationId,
    });
  };

  it('a tampered tar (one byte flipped) fails the restore', async () => {
    const s = await saved();
    const tar = s.deps.blobs.objects.get(s.tarKey)!;
    tar[600] = (tar[600] as number) ^ 0xff;
    await incomplete(s, /does not match its manifest: SHA-256/);
  });

  it('a truncated or missing tar fails the restore', async () => {
    const s = await saved();
    s.deps.blobs.objects.set(s.tarKey, s.deps.blobs.objects.get(s.tarKey)!.subarray(0, 1024));
    await incomplete(s, /1024 bytes instead of/);
    const t = await saved();
    t.deps.blobs.objects.delete(t.tarKey);
    await incomplete(t, /is missing/);
  });

  it('a restored tree that differs from the snapshot fails the restore (partial extraction)', async () => {
    const s = await saved();
    s.deps.workspaceAgent.afterArchiveIn = (f) => {
      f.delete('b.txt');
      f.set('a.txt', Buffer.from('short'));
    };
    await incomplete(s, /1 missing \("b.txt"\); 1 different \("a.txt"\)/);
  });

  it('an archive the agent refuses or cannot fit on disk fails the restore; an unreachable agent is retried', async () => {
    for (const err of [
      new WorkspaceAgentError(400, 'invalid_request', 'tar member "x" is not allowed'),
      new WorkspaceAgentError(507, 'no_space', 'tar could not extract the archive: No space left on device'),
    ]) {
      const s = await saved();
      s.deps.workspaceAgent.archiveIn = async (_t, _p, body) => {
        body.destroy();
        throw err;
      };
      await incomplete(s, /could not extract/);
    }
    const s = await saved();
    s.deps.workspaceAgent.archiveIn = async () => {
      throw new WorkspaceAgentError(0, 'unreachable', 'agent unreachable: ECONNRESET');
    };
    const e = await restoreFilesFromBlob(s.deps, s.successor).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkspaceAgentError);
    expect(e).not.toBeInstanceOf(RestoreIncomplete);
  });

  it('a corrupted manifest fails the restore; a blob store error reading it is retried', async () => {
    const s = await saved();
    const key = snapshotManifestKey(s.ws.tenantId, s.ws.conversationId);
    s.deps.blobs.objects.set(key, Buffer.from('{"version":1'));
    await incomplete(s, /manifest unreadable/);
    const t = await saved();
    t.deps.blobs.get = async () => {
      throw new Error('blob store timeout');
    };
    const e = await restoreFilesFromBlob(t.deps, t.successor).catch((x: unknown) => x);
    expect((e as Error).message).toBe('blob store timeout');
    expect(e).not.toBeInstanceOf(RestoreIncomplete);
  });

  it('MarkFailed names the reason restore_incomplete', async () => {
    const { deps } = setup();
    const ws = seedWorkspace(deps, { status: 'provisioning' });
    await markFailedStep(deps, {
      workspaceId: ws.id,
      error: { Error: 'RestoreIncomplete', Cause: 'restored files differ' },
    });
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:restore_incomplete',
    });
  });
});

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  METRIC,
  TRANSFER_PREFIX,
  completeFileUpload,
  createFileDownload,
  createFileUpload,
  downloadKey,
  snapshotPrefix,
  uploadKeys,
  type PresignedRequest,
  type ServiceMetrics,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { oneFileTar } from '../src/one-file-tar.js';
import { makeDeps, seedWorkspace, type TestDeps } from './support/make-deps.js';
import { filesOfTar, readStream } from './support/tar-files.js';

/** The memory store with presigning: URLs name the key, so a test can "PUT" to it. */
function withPresigner(deps: TestDeps) {
  const signed: { method: string; key: string; opts: object }[] = [];
  const sign = (method: string) => async (key: string, opts: object) => {
    signed.push({ method, key, opts });
    return { url: `https://blobs.test/${key}?${method}`, headers: {} } satisfies PresignedRequest;
  };
  Object.assign(deps.blobs, { presignPut: sign('PUT'), presignGet: sign('GET') });
  return signed;
}

function setup() {
  const deps = makeDeps();
  deps.clock.freeze();
  const signed = withPresigner(deps);
  const ws = seedWorkspace(deps);
  return { deps, signed, ws, files: () => deps.workspaceAgent.filesOf(ws.endpoint!) };
}

/** What a client's PUT to the presigned URL does. */
const clientPuts = (deps: TestDeps, url: string, bytes: Buffer) =>
  deps.blobs.objects.set(new URL(url).pathname.slice(1), bytes);

function recordingMetrics() {
  const counts: [string, number][] = [];
  const metrics: ServiceMetrics = { count: (n, v = 1) => counts.push([n, v]), duration() {} };
  return { metrics, counts };
}

describe('presigned uploads', () => {
  it('hands out a URL for the exact size, then streams the staged bytes into the workspace and forgets them', async () => {
    const { deps, signed, ws, files } = setup();
    const { metrics, counts } = recordingMetrics();
    deps.metrics = metrics;
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const up = await createFileUpload(deps, 't1', ws.id, { path: 'data/big.bin', size: bytes.length });
    expect(up).toEqual({
      uploadId: expect.stringMatching(/^upl_[0-9a-f]{32}$/),
      method: 'PUT',
      url: expect.any(String),
      headers: {},
      expiresAt: new Date(deps.clock.now() + 900_000).toISOString(),
      size: bytes.length,
    });
    const keys = uploadKeys('t1', ws.id, up.uploadId);
    expect(signed).toEqual([
      { method: 'PUT', key: keys.data, opts: { expiresInSeconds: 900, contentLength: bytes.length } },
    ]);
    expect(keys.data.startsWith(TRANSFER_PREFIX)).toBe(true);
    expect(keys.data.startsWith(snapshotPrefix('t1', ws.conversationId))).toBe(false);

    clientPuts(deps, up.url, bytes);
    await completeFileUpload(deps, 't1', ws.id, up.uploadId);
    expect(files().get('big.bin')?.equals(bytes)).toBe(true);
    expect(deps.workspaceAgent.callsOf('archiveIn').map((c) => c.path)).toEqual(['data']);
    expect(deps.workspaceAgent.callsOf('writeFile')).toEqual([]);
    expect([...deps.blobs.objects.keys()]).toEqual([]);
    expect(counts).toContainEqual([METRIC.FileTransferBytes, bytes.length]);

    // Completed: gone.
    await expect(completeFileUpload(deps, 't1', ws.id, up.uploadId)).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  it('a file at the root lands in the root; absolute paths under it are accepted', async () => {
    const { deps, ws } = setup();
    const up = await createFileUpload(deps, 't1', ws.id, { path: '/workspace/top.txt', size: 2 });
    clientPuts(deps, up.url, Buffer.from('hi'));
    await completeFileUpload(deps, 't1', ws.id, up.uploadId);
    expect(deps.workspaceAgent.callsOf('archiveIn').map((c) => c.path)).toEqual(['.']);
  });

  it('refuses paths outside the workspace or the root itself', async () => {
    const { deps, ws } = setup();
    for (const path of ['../etc/passwd', '/etc/passwd', '.', '/workspace']) {
      await expect(createFileUpload(deps, 't1', ws.id, { path, size: 1 })).rejects.toMatchObject({
        code: 'invalid_path',
      });
    }
    expect(deps.blobs.objects.size).toBe(0);
  });

  it('another tenant, an unknown upload id or one of another shape is 404', async () => {
    const { deps, ws } = setup();
    const up = await createFileUpload(deps, 't1', ws.id, { path: 'a', size: 1 });
    clientPuts(deps, up.url, Buffer.from('a'));
    await expect(createFileUpload(deps, 't2', ws.id, { path: 'a', size: 1 })).rejects.toMatchObject({
      status: 404,
    });
    for (const [tenant, uploadId] of [
      ['t2', up.uploadId],
      ['t1', `upl_${'0'.repeat(32)}`],
      ['t1', '../../../snapshot.tar'],
      ['t1', up.uploadId.toUpperCase()],
    ]) {
      await expect(completeFileUpload(deps, tenant!, ws.id, uploadId!)).rejects.toMatchObject({
        status: 404,
      });
    }
    expect(deps.workspaceAgent.callsOf('archiveIn')).toEqual([]);
  });

  it('completing before the PUT is a 409 and can be retried', async () => {
    const { deps, ws, files } = setup();
    const up = await createFileUpload(deps, 't1', ws.id, { path: 'a.txt', size: 3 });
    await expect(completeFileUpload(deps, 't1', ws.id, up.uploadId)).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
    clientPuts(deps, up.url, Buffer.from('abc'));
    await completeFileUpload(deps, 't1', ws.id, up.uploadId);
    expect(files().get('a.txt')?.toString()).toBe('abc');
  });

  it('staged bytes of another size than declared are refused (422) and stay for a retry', async () => {
    const { deps, ws } = setup();
    for (const actual of ['ab', 'abcd']) {
      const up = await createFileUpload(deps, 't1', ws.id, { path: 'x', size: 3 });
      clientPuts(deps, up.url, Buffer.from(actual));
      await expect(completeFileUpload(deps, 't1', ws.id, up.uploadId)).rejects.toMatchObject({
        status: 422,
        code: 'unprocessable',
      });
      expect(deps.blobs.objects.has(uploadKeys('t1', ws.id, up.uploadId).ticket)).toBe(true);
    }
  });

  it('a workspace that is not ready answers 409 before any URL is signed', async () => {
    const { deps, signed } = setup();
    const stopping = seedWorkspace(deps, { status: 'stopping' });
    await expect(createFileUpload(deps, 't1', stopping.id, { path: 'a', size: 1 })).rejects.toMatchObject({
      code: 'workspace_ended',
    });
    expect(signed).toEqual([]);
  });

  it('a paused workspace is resumed for an upload, which then completes', async () => {
    const { deps } = setup();
    const paused = seedWorkspace(deps, { status: 'paused' });
    const up = await createFileUpload(deps, 't1', paused.id, { path: 'a.txt', size: 3 });
    expect(deps.store.peek(paused.id)!.status).toBe('ready');
    clientPuts(deps, up.url, Buffer.from('abc'));
    await completeFileUpload(deps, 't1', paused.id, up.uploadId);
    expect(deps.workspaceAgent.filesOf(paused.endpoint!).get('a.txt')?.toString()).toBe('abc');
  });

  it('a blob store that cannot presign answers 422', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    await expect(createFileUpload(deps, 't1', ws.id, { path: 'a', size: 1 })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('presigned'),
    });
    await expect(createFileDownload(deps, 't1', ws.id, { path: 'a' })).rejects.toMatchObject({
      status: 422,
    });
  });
});

describe('presigned downloads', () => {
  it('stages the file under the transfer prefix and answers a GET URL with its size', async () => {
    const { deps, signed, ws, files } = setup();
    const bytes = randomBytes(100_000);
    files().set('out/report.pdf', bytes);
    const down = await createFileDownload(deps, 't1', ws.id, { path: 'out/report.pdf' });
    expect(down).toEqual({
      method: 'GET',
      url: expect.any(String),
      headers: {},
      expiresAt: new Date(deps.clock.now() + 900_000).toISOString(),
      size: bytes.length,
    });
    expect(signed).toHaveLength(1);
    const key = signed[0]!.key;
    expect(key.startsWith(downloadKey('t1', ws.id, ''))).toBe(true);
    expect(deps.blobs.objects.get(key)?.equals(bytes)).toBe(true);
  });

  it('a directory is refused; a missing file is 404', async () => {
    const { deps, ws, files } = setup();
    files().set('dir/a', Buffer.from('a'));
    await expect(createFileDownload(deps, 't1', ws.id, { path: 'dir' })).rejects.toMatchObject({
      code: 'invalid_path',
    });
    await expect(createFileDownload(deps, 't1', ws.id, { path: 'nope' })).rejects.toMatchObject({
      status: 404,
    });
    expect(deps.blobs.objects.size).toBe(0);
  });
});

describe('oneFileTar', () => {
  it('is a tar of the one file; long and non-ASCII names travel in a PAX header', async () => {
    for (const name of ['a.bin', `${'n'.repeat(150)}-é.txt`]) {
      for (const size of [0, 1, 511, 512, 513, 70_000]) {
        const bytes = randomBytes(size);
        const chunks = [bytes.subarray(0, 100), bytes.subarray(100)];
        const tar = await readStream(oneFileTar(name, size, Readable.from(chunks)));
        expect(tar.length % 512).toBe(0);
        expect([...filesOfTar(tar)]).toEqual([[name, bytes]]);
      }
    }
  });

  it('fails when the body is shorter or longer than declared, and lets go of the body', async () => {
    for (const body of ['ab', 'abcd']) {
      const source = Readable.from([Buffer.from(body)]);
      await expect(readStream(oneFileTar('x', 3, source))).rejects.toThrow(/not the 3 declared/);
      expect(source.destroyed).toBe(true);
    }
  });
});

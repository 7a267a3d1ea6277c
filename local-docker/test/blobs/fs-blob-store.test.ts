import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobTooLarge } from '@berth/core';
import { FsBlobStore } from '../../src/blobs/fs-blob-store.js';

let root: string;
let store: FsBlobStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-blobs-'));
  store = new FsBlobStore(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function sha(s: Readable) {
  const h = createHash('sha256');
  let n = 0;
  for await (const c of s) {
    h.update(c as Buffer);
    n += (c as Buffer).length;
  }
  return { sha: h.digest('hex'), n };
}

describe('FsBlobStore streaming', () => {
  it('streams an object in and out byte for byte', async () => {
    const parts = Array.from({ length: 40 }, () => randomBytes(256 * 1024));
    const want = createHash('sha256');
    for (const p of parts) want.update(p);
    await store.putStream('t/c/snapshot-1.tar', Readable.from(parts));
    expect(await sha((await store.getStream('t/c/snapshot-1.tar'))!)).toEqual({
      sha: want.digest('hex'),
      n: 40 * 256 * 1024,
    });
    expect(await store.getStream('t/c/missing')).toBeUndefined();
  });

  it('a failing source leaves neither the object nor a temp file; an existing object stays whole', async () => {
    await store.put('k', Buffer.from('previous'));
    async function* broken() {
      yield randomBytes(100_000);
      throw new Error('source broke');
    }
    await expect(store.putStream('k', Readable.from(broken()))).rejects.toThrow('source broke');
    expect((await store.get('k', 1024))?.toString()).toBe('previous');
    expect(await readdir(root)).toEqual(['k']);
  });

  it('get reads small objects whole and refuses past its limit', async () => {
    await store.put('small', Buffer.from('12345'));
    expect((await store.get('small', 5))?.toString()).toBe('12345');
    await expect(store.get('small', 4)).rejects.toBeInstanceOf(BlobTooLarge);
    expect(await store.get('none', 10)).toBeUndefined();
  });

  it('refuses keys that leave its root', async () => {
    await expect(store.putStream('../x', Readable.from([Buffer.from('x')]))).rejects.toThrow(
      /invalid blob key/,
    );
    await expect(store.getStream('a/../../x')).rejects.toThrow(/invalid blob key/);
  });
});

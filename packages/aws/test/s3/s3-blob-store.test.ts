import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client as RealS3Client, type S3Client } from '@aws-sdk/client-s3';
import { BlobTooLarge, snapshotKey } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBucket } from '../../src/s3/ensure-bucket.js';
import { S3BlobStore } from '../../src/s3/s3-blob-store.js';
import { freshBucket, localS3Client, useFauxqs } from '../support/fauxqs.js';

const s3 = useFauxqs();
let client: S3Client;

beforeAll(() => {
  client = localS3Client(s3);
});
afterAll(() => client?.destroy());

const MAX = 64 * 1024 * 1024;
/** Every byte value, repeated to 1 MiB, so encoding mistakes anywhere on the way show. */
const binary = Buffer.alloc(1024 * 1024, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));

describe('S3BlobStore', () => {
  it('puts, gets and deletes binary content byte for byte', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    const key = snapshotKey('tenant-a', 'conv-1');
    await store.put(key, binary);
    const got = await store.get(key, MAX);
    expect(got?.length).toBe(binary.length);
    expect(got?.equals(binary)).toBe(true);
    await store.delete(key);
    expect(await store.get(key, MAX)).toBeUndefined();
  });

  it('get of a missing key is undefined; delete of one succeeds', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    expect(await store.get('nothing/here', MAX)).toBeUndefined();
    await expect(store.delete('nothing/here')).resolves.toBeUndefined();
  });

  it('stores an empty object', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    await store.put('empty', Buffer.alloc(0));
    expect(await store.get('empty', MAX)).toEqual(Buffer.alloc(0));
  });

  it('lists keys under a prefix, relative to the store prefix, across pages', async () => {
    const bucket = await freshBucket(client);
    const store = new S3BlobStore({ bucket, prefix: 'deploy-1/', client });
    const other = new S3BlobStore({ bucket, prefix: 'deploy-2/', client });
    const keys = Array.from(
      { length: 1_005 },
      (_, i) => `tenants/t/workspaces/c${String(i).padStart(4, '0')}/snapshot.tar`,
    );
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, Buffer.from(k))));
    }
    await store.put('tenants/u/workspaces/c/snapshot.tar', Buffer.from('u'));
    await other.put('tenants/t/workspaces/x/snapshot.tar', Buffer.from('x'));
    expect((await store.list('tenants/t/')).sort()).toEqual(keys);
    expect(await store.list('tenants/u/')).toEqual(['tenants/u/workspaces/c/snapshot.tar']);
    expect(await other.list('tenants/')).toEqual(['tenants/t/workspaces/x/snapshot.tar']);
    expect(await store.list('tenants/none/')).toEqual([]);
    expect((await store.get(keys[7]!, MAX))?.toString()).toBe(keys[7]);
  });

  it('ping answers for an existing bucket and fails for a missing one', async () => {
    const bucket = await freshBucket(client);
    await ensureBucket(client, bucket); // idempotent
    await expect(new S3BlobStore({ bucket, client }).ping()).resolves.toBeUndefined();
    await expect(new S3BlobStore({ bucket: 'berth-missing-bucket', client }).ping()).rejects.toThrow();
  });

  it('builds its own client from clientConfig', async () => {
    const bucket = await freshBucket(client);
    const store = new S3BlobStore({
      bucket,
      clientConfig: {
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
    await store.put('k', Buffer.from([0, 255]));
    expect(await store.get('k', MAX)).toEqual(Buffer.from([0, 255]));
  });

  it('streams a multipart upload of many parts in and back out byte for byte', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client, partBytes: 5 * 1024 * 1024 });
    const parts = Array.from({ length: 13 }, () => randomBytes(1024 * 1024));
    const want = createHash('sha256');
    for (const p of parts) want.update(p);
    await store.putStream('big.tar', Readable.from(parts));
    const body = await store.getStream('big.tar');
    const got = createHash('sha256');
    let size = 0;
    for await (const c of body!) {
      got.update(c as Buffer);
      size += (c as Buffer).length;
    }
    expect(size).toBe(13 * 1024 * 1024);
    expect(got.digest('hex')).toBe(want.digest('hex'));
    expect(await store.getStream('missing')).toBeUndefined();
    await expect(store.get('big.tar', 1024)).rejects.toBeInstanceOf(BlobTooLarge);
  });

  it('a failing source leaves no object behind', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client, partBytes: 5 * 1024 * 1024 });
    async function* failing() {
      yield randomBytes(6 * 1024 * 1024);
      throw new Error('source broke');
    }
    await expect(store.putStream('broken.tar', Readable.from(failing()))).rejects.toThrow('source broke');
    expect(await store.get('broken.tar', MAX)).toBeUndefined();
    expect(await store.list('')).toEqual([]);
  });
});

describe('S3BlobStore against a recording client', () => {
  it('uploads a large stream as bounded parts, never one PutObject', async () => {
    const sent: { name: string; bytes: number }[] = [];
    const fake = new RealS3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    fake.send = (async (cmd: { constructor: { name: string }; input: { Body?: unknown } }) => {
      const body = cmd.input.Body;
      sent.push({
        name: cmd.constructor.name,
        bytes: Buffer.isBuffer(body) || body instanceof Uint8Array ? body.length : 0,
      });
      if (cmd.constructor.name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' };
      if (cmd.constructor.name === 'UploadPartCommand') return { ETag: `"e${sent.length}"` };
      return {};
    }) as unknown as S3Client['send'];
    const store = new S3BlobStore({ bucket: 'b', client: fake, partBytes: 5 * 1024 * 1024 });
    await store.putStream('k', Readable.from(Array.from({ length: 12 }, () => Buffer.alloc(1024 * 1024))));
    const names = sent.map((s) => s.name);
    expect(names[0]).toBe('CreateMultipartUploadCommand');
    expect(names.filter((n) => n === 'UploadPartCommand')).toHaveLength(3);
    expect(names.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(names).not.toContain('PutObjectCommand');
    expect(Math.max(...sent.map((s) => s.bytes))).toBeLessThanOrEqual(5 * 1024 * 1024);
  });
});

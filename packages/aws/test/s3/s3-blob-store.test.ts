import type { S3Client } from '@aws-sdk/client-s3';
import { snapshotKey } from '@berth/core';
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

/** Every byte value, repeated to 1 MiB, so encoding mistakes anywhere on the way show. */
const binary = Buffer.alloc(1024 * 1024, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));

describe('S3BlobStore', () => {
  it('puts, gets and deletes binary content byte for byte', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    const key = snapshotKey('tenant-a', 'conv-1');
    await store.put(key, binary);
    const got = await store.get(key);
    expect(got?.length).toBe(binary.length);
    expect(got?.equals(binary)).toBe(true);
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
  });

  it('get of a missing key is undefined; delete of one succeeds', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    expect(await store.get('nothing/here')).toBeUndefined();
    await expect(store.delete('nothing/here')).resolves.toBeUndefined();
  });

  it('stores an empty object', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    await store.put('empty', Buffer.alloc(0));
    expect(await store.get('empty')).toEqual(Buffer.alloc(0));
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
    expect((await store.get(keys[7]!))?.toString()).toBe(keys[7]);
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
    expect(await store.get('k')).toEqual(Buffer.from([0, 255]));
  });
});

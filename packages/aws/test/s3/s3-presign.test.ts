import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/s3/s3-blob-store.js';
import { freshBucket, localS3Client, useFauxqs } from '../support/fauxqs.js';

const s3 = useFauxqs();
let client: S3Client;
beforeAll(() => {
  client = localS3Client(s3);
});
afterAll(() => client?.destroy());

const MAX = 16 * 1024 * 1024;

describe('S3BlobStore presigned URLs', () => {
  it('a presigned PUT stores the bytes under the store prefix, signed for their length only', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), prefix: 'deploy-1/', client });
    const bytes = randomBytes(300_000);
    const signed = await store.presignPut('transfers/a/data', {
      expiresInSeconds: 60,
      contentLength: bytes.length,
    });
    const url = new URL(signed.url);
    expect(url.pathname).toMatch(/\/deploy-1\/transfers\/a\/data$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort()).toEqual([
      'content-length',
      'host',
    ]);
    // No checksum of the (empty) body the SDK saw: S3 would refuse the real bytes against it.
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(signed.headers).toEqual({});

    const put = await fetch(signed.url, { method: 'PUT', body: bytes, headers: signed.headers });
    expect(put.status).toBe(200);
    expect((await store.get('transfers/a/data', MAX))?.equals(bytes)).toBe(true);
  });

  it('a presigned GET hands out the object without credentials', async () => {
    const store = new S3BlobStore({ bucket: await freshBucket(client), client });
    const bytes = randomBytes(70_000);
    await store.put('transfers/b', bytes);
    const signed = await store.presignGet('transfers/b', { expiresInSeconds: 900 });
    expect(new URL(signed.url).searchParams.get('X-Amz-Expires')).toBe('900');
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

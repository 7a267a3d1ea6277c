import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { DigestCheck, ManifestBuilder } from '@berth/protocol/snapshot-stream';
import {
  noMetrics,
  readSnapshotManifest,
  saveSnapshot,
  silentLogger,
  snapshotPrefix,
  type Clock,
} from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/s3/s3-blob-store.js';
import { freshBucket, localS3Client, useFauxqs } from '../support/fauxqs.js';

const s3 = useFauxqs();
let client: S3Client;
beforeAll(() => {
  client = localS3Client(s3);
});
afterAll(() => client?.destroy());

/** A one-file ustar archive of `size` random bytes. */
function tarOfOneFile(size: number): Buffer {
  const data = randomBytes(size);
  const h = Buffer.alloc(512);
  h.write('big.bin', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (size % 512)) % 512), Buffer.alloc(1024)]);
}

describe('file snapshots on S3 (multipart)', () => {
  it('saves a 24 MiB tar in parts, commits its manifest, and reads it back matching its digest', async () => {
    const blobs = new S3BlobStore({ bucket: await freshBucket(client), client, partBytes: 5 * 1024 * 1024 });
    const clock: Clock = { now: () => Date.now() };
    const deps = { blobs, clock, log: silentLogger, metrics: noMetrics };
    const ws = { id: 'ws_1', tenantId: 'tenant-a', conversationId: 'conv/../1' };
    const tar = tarOfOneFile(24 * 1024 * 1024);
    const chunks = Array.from({ length: Math.ceil(tar.length / 65536) }, (_, i) =>
      tar.subarray(i * 65536, (i + 1) * 65536),
    );
    const saved = await saveSnapshot(deps, ws, Readable.from(chunks));
    const want = new ManifestBuilder();
    want.write(tar);
    expect(saved).toMatchObject(want.finish());
    const read = await readSnapshotManifest(blobs, ws.tenantId, ws.conversationId);
    expect(read).toEqual(saved);
    expect(await blobs.list(snapshotPrefix(ws.tenantId, ws.conversationId))).toHaveLength(2);
    const body = await blobs.getStream(snapshotPrefix(ws.tenantId, ws.conversationId) + read!.tar);
    const check = new DigestCheck(read!.tarBytes, read!.tarSha256);
    let n = 0;
    for await (const c of body!.pipe(check)) n += (c as Buffer).length;
    expect(n).toBe(tar.length);
    expect(check.failure).toBeUndefined();
  });
});

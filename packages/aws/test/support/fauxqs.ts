import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { ensureBucket } from '../../src/s3/ensure-bucket.js';
import { startFauxqs, type Fauxqs } from '../../src/local/fauxqs.js';
import { localClientConfig } from '../../src/local/local-aws-config.js';
import { sharedEmulator } from './shared-emulator.js';

/** Registers hooks for the process-wide fauxqs S3 emulator and returns a handle to it. */
export const useFauxqs: () => Fauxqs = sharedEmulator(() => startFauxqs());

/** A path-style client for `s3`, with the local region and dummy credentials. */
export const localS3Client = (s3: Fauxqs) =>
  new S3Client({ ...localClientConfig(s3.endpoint), forcePathStyle: true });

/** A new, empty bucket with a random name. */
export async function freshBucket(client: S3Client): Promise<string> {
  const name = `berth-test-${randomBytes(6).toString('hex')}`;
  await ensureBucket(client, name);
  return name;
}

import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';

/** Creates `bucket` if it is missing (local mode and tests; in the cloud the Data stack owns the bucket). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name !== 'NotFound' && err.$metadata?.httpStatusCode !== 404) throw e;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    // Created concurrently by another caller.
    if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
  }
}

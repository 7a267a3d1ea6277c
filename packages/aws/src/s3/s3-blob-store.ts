import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { BlobTooLarge, type BlobStore, type PresignedRequest } from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key (e.g. `berth/`), so one bucket can hold several deployments. Default none. */
  prefix?: string;
  /** A configured client; when absent one is built from `clientConfig`. */
  client?: S3Client;
  /** Region, endpoint, credentials; set `forcePathStyle: true` for emulators on an IP or localhost endpoint. */
  clientConfig?: S3ClientConfig;
  /** Part size of multipart uploads (`putStream`); S3's minimum is 5 MiB. Default 8 MiB. */
  partBytes?: number;
  /** Parts uploaded at once; memory held by an upload is about `partBytes × (queueSize + 1)`. Default 2. */
  queueSize?: number;
}

/**
 * {@link BlobStore} on one S3 bucket. Small objects are written with PutObject; streams (snapshot tars of any
 * size) with a multipart upload, which S3 makes visible only when it completes. Keys handed out by `list` are
 * relative to `prefix`, like the keys callers pass.
 */
export class S3BlobStore implements BlobStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private readonly queueSize: number;

  constructor(opts: S3BlobStoreOptions) {
    this.s3 = opts.client ?? new S3Client(withSdkTimeouts(opts.clientConfig ?? {}, 's3'));
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.partBytes = Math.max(opts.partBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
    this.queueSize = opts.queueSize ?? 2;
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body }));
  }

  /** Multipart upload; a failed body aborts it (lib-storage deletes the uploaded parts). */
  async putStream(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: this.prefix + key, Body: body },
      partSize: this.partBytes,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    // A failing source does not always reach lib-storage's reader: abort explicitly.
    const failed = new Promise<never>((_, reject) =>
      body.once('error', (e) => {
        void upload.abort().catch(() => {});
        reject(e);
      }),
    );
    await Promise.race([upload.done(), failed]);
  }

  async get(key: string, maxBytes: number): Promise<Buffer | undefined> {
    const body = await this.getStream(key);
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > maxBytes) {
        body.destroy();
        throw new BlobTooLarge(key, maxBytes);
      }
      chunks.push(c);
    }
    return Buffer.concat(chunks, size);
  }

  async getStream(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (!out.Body) return Readable.from([]);
      return out.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Deleting a missing object succeeds, as in S3. */
  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key !== undefined) keys.push(o.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async ping(): Promise<void> {
    await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Signed with the length, so S3 refuses a PUT of any other size. */
  async presignPut(
    key: string,
    opts: { expiresInSeconds: number; contentLength: number },
  ): Promise<PresignedRequest> {
    const put = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.prefix + key,
      ContentLength: opts.contentLength,
    });
    put.middlewareStack.add(
      (next) => (args) => {
        dropBodyChecksum((args.request as { headers?: Record<string, string> }).headers);
        return next(args);
      },
      { step: 'build', priority: 'low' },
    );
    const url = await getSignedUrl(this.s3, put, {
      expiresIn: opts.expiresInSeconds,
      signableHeaders: new Set(['content-length']),
    });
    return { url, headers: {} };
  }

  async presignGet(key: string, opts: { expiresInSeconds: number }): Promise<PresignedRequest> {
    const get = new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key });
    return { url: await getSignedUrl(this.s3, get, { expiresIn: opts.expiresInSeconds }), headers: {} };
  }
}

/**
 * The SDK adds a checksum of the request body it is given, which for a presigned PUT is empty: S3 would
 * refuse every upload whose bytes do not hash to nothing. Dropped after the checksum step, before signing.
 */
function dropBodyChecksum(headers: Record<string, string> = {}): void {
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete headers[name];
  }
}

/** NoSuchKey from S3; emulators sometimes answer a bare 404 instead. */
function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

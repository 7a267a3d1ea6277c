import { Readable } from 'node:stream';
import { BlobTooLarge, type BlobStore } from '@berth/core';

/** A BlobStore in memory. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();
  pingError: Error | null = null;

  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async get(key: string, maxBytes: number): Promise<Buffer | undefined> {
    const b = this.objects.get(key);
    if (b && b.length > maxBytes) throw new BlobTooLarge(key, maxBytes);
    return b && Buffer.from(b);
  }
  /** Appears only once the whole stream was read, like an S3 multipart upload. */
  async putStream(key: string, body: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    this.objects.set(key, Buffer.concat(chunks));
  }
  async getStream(key: string): Promise<Readable | undefined> {
    const b = this.objects.get(key);
    return b && Readable.from([Buffer.from(b)]);
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }
  async ping(): Promise<void> {
    if (this.pingError) throw this.pingError;
  }
}

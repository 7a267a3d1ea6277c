import type { BlobStore } from '@berth/core';

/** A BlobStore in memory. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();
  pingError: Error | null = null;

  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async get(key: string): Promise<Buffer | undefined> {
    const b = this.objects.get(key);
    return b && Buffer.from(b);
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

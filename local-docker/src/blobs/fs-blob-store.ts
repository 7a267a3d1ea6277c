import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLarge, type BlobStore } from '@berth/core';

/**
 * Workspace file snapshots in a local directory (`.berth/blobs`), for running without S3. Writes are atomic
 * (temp file + rename) so a crash never leaves half a snapshot.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    const path = join(this.root, key);
    if (
      key.includes('\0') ||
      relative(this.root, path).startsWith('..') ||
      !path.startsWith(this.root + sep)
    ) {
      throw new Error(`invalid blob key ${key}`);
    }
    return path;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.file(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempName(path);
    try {
      await writeFile(tmp, body);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const path = this.file(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempName(path);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string, maxBytes: number): Promise<Buffer | undefined> {
    const fh = await open(this.file(key), 'r').catch(notFoundAsUndefined);
    if (!fh) return undefined;
    try {
      // Read at most one byte past the limit: a file growing meanwhile cannot make this unbounded.
      const buf = Buffer.alloc(Math.min((await fh.stat()).size, maxBytes) + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n);
        if (bytesRead === 0) break;
        n += bytesRead;
        if (n === buf.length) break;
      }
      if (n > maxBytes) throw new BlobTooLarge(key, maxBytes);
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const fh = await open(this.file(key), 'r').catch(notFoundAsUndefined);
    return fh && createReadStream('', { fd: fh, highWaterMark: 256 * 1024 });
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }
}

/** Unique per write, so concurrent saves of one key never share a temp file. */
const tempName = (path: string) => `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;

function notFoundAsUndefined(e: unknown): undefined {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw e;
}

import { createHash, type Hash } from 'node:crypto';
import { MANIFEST_VERSION, normalizeTarPath, type Manifest, type ManifestEntry } from './manifest.js';
import { PassThroughTap } from './pass-through-tap.js';
import { TarParser, type TarEntry } from './tar-reader.js';

// Builds a manifest from a tar stream as it passes. Its own module (apart from the manifest's types and parser)
// so what only reads manifests does not load the tar reader: the API bundle loads this lazily (snapshots).

/**
 * Builds a Manifest from a tar stream as its bytes flow (`write` each chunk, then `finish`): SHA-256 of the
 * whole stream and of every regular file. Memory: one entry per member, never file contents.
 */
export class ManifestBuilder {
  private readonly tarHash: Hash | undefined;
  private tarBytes = 0;
  private readonly entries = new Map<string, ManifestEntry>();
  private fileHash: Hash | undefined;
  private readonly parser = new TarParser({
    entry: (e) => {
      if (e.type === 'file') this.fileHash = createHash('sha256');
    },
    data: (chunk) => this.fileHash?.update(chunk),
    entryEnd: (e) => this.add(e),
  });

  /** `hashTar: false` skips the SHA-256 of the whole stream (half the work) when only the entries matter. */
  constructor(opts: { hashTar?: boolean } = {}) {
    this.tarHash = opts.hashTar === false ? undefined : createHash('sha256');
  }

  write(chunk: Buffer): void {
    this.tarHash?.update(chunk);
    this.tarBytes += chunk.length;
    this.parser.write(chunk);
  }

  /** Throws TarFormatError unless the stream was a complete archive. */
  finish(): Manifest {
    this.parser.end();
    let files = 0;
    let bytes = 0;
    for (const e of this.entries.values()) {
      if (e.type === 'file') bytes += e.size;
      if (e.type === 'file' || e.type === 'hardlink') files++;
    }
    return {
      version: MANIFEST_VERSION,
      tarBytes: this.tarBytes,
      tarSha256: this.tarHash?.digest('hex') ?? '',
      files,
      bytes,
      entries: [...this.entries.values()],
    };
  }

  private add(e: TarEntry): void {
    const path = normalizeTarPath(e.name);
    if (path === '') return; // the archived directory itself
    const entry: ManifestEntry = { path, type: e.type, size: 0 };
    if (e.type === 'file') {
      entry.size = e.size;
      entry.sha256 = (this.fileHash as Hash).digest('hex');
      this.fileHash = undefined;
    } else if (e.type === 'symlink') {
      entry.linkname = e.linkname;
    } else if (e.type === 'hardlink') {
      entry.linkname = normalizeTarPath(e.linkname);
      const target = this.entries.get(entry.linkname);
      entry.size = target?.size ?? 0;
      if (target?.sha256) entry.sha256 = target.sha256;
    }
    // A later member of the same name replaces the earlier one, as on extraction.
    this.entries.delete(path);
    this.entries.set(path, entry);
  }
}

/** A pass-through stream that builds the Manifest of the tar flowing through it (`manifest` once ended). */
export class ManifestTap extends PassThroughTap {
  private readonly builder = new ManifestBuilder();
  private result: Manifest | undefined;

  /** The manifest; only after the stream ended without error. */
  get manifest(): Manifest {
    if (!this.result) throw new Error('the tar stream has not ended');
    return this.result;
  }

  protected see(chunk: Buffer): void {
    this.builder.write(chunk);
  }

  protected ended(): void {
    this.result = this.builder.finish();
  }
}

import type { Readable } from 'node:stream';
import { normalizeTarPath } from '@berth/protocol';
import { TarParser } from '@berth/protocol/snapshot-stream';
import {
  readSnapshotManifest,
  snapshotKey,
  snapshotManifestKey,
  snapshotPrefix,
  type BlobStore,
} from '@berth/core';

/** A ustar archive of regular files (names up to 100 bytes), as GNU tar would write them. */
export function tarOf(files: Iterable<[string, Buffer]>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h.write('0', 156, 'latin1');
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    blocks.push(h, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The regular files of an archive. */
export function filesOfTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let chunks: Buffer[] = [];
  const parser = new TarParser({
    entry: () => (chunks = []),
    data: (c) => chunks.push(Buffer.from(c)),
    entryEnd: (e) => {
      if (e.type === 'file') files.set(normalizeTarPath(e.name), Buffer.concat(chunks));
    },
  });
  parser.write(tar);
  parser.end();
  return files;
}

export async function readStream(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The files of the conversation's committed snapshot as `{path: base64}`, or undefined if there is none. */
export async function snapshotFiles(
  blobs: BlobStore,
  tenantId: string,
  conversationId: string,
): Promise<Record<string, string> | undefined> {
  const m = await readSnapshotManifest(blobs, tenantId, conversationId);
  if (!m) return undefined;
  const body = await blobs.getStream(snapshotPrefix(tenantId, conversationId) + m.tar);
  const files = filesOfTar(await readStream(body!));
  return Object.fromEntries([...files].map(([p, b]) => [p, b.toString('base64')]));
}

/** Whether the conversation has a committed snapshot (its manifest). */
export const hasSnapshot = (
  blobs: { objects: Map<string, Buffer> },
  tenantId: string,
  conversationId: string,
) => blobs.objects.has(snapshotManifestKey(tenantId, conversationId));

/** A snapshot as Berth wrote them before manifests: one tar at the legacy key. */
export async function putLegacySnapshot(
  blobs: BlobStore,
  tenantId: string,
  conversationId: string,
  files: Record<string, string>,
): Promise<Buffer> {
  const tar = tarOf(Object.entries(files).map(([p, s]) => [p, Buffer.from(s)]));
  await blobs.put(snapshotKey(tenantId, conversationId), tar);
  return tar;
}

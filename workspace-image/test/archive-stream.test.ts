import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareManifests } from '@berth/protocol';
import { ManifestBuilder } from '@berth/protocol/snapshot-stream';
import { extractArchive, treeManifest } from '../src/files/archive.js';
import { openWorkspaceRoot } from '../src/files/safe-path.js';

/** Feeds a buffer in `size`-byte chunks: headers, PAX records and data split at every possible place. */
function* chunks(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('extractArchive (streamed, vetted member by member)', () => {
  let dir: string;
  let tar: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-stream-'));
    const src = join(dir, 'src');
    const deep = join(src, `${'d'.repeat(90)}/${'e'.repeat(90)}`);
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, `${'f'.repeat(120)}.bin`), randomBytes(70_000));
    await writeFile(join(src, 'ünïcødé.txt'), 'u');
    await writeFile(join(src, 'empty'), '');
    await symlink(`${'d'.repeat(90)}/${'e'.repeat(90)}`, join(src, 'long-link'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    tar = execFileSync('tar', ['-C', src, '--format=posix', '-cf', '-', '.'], { maxBuffer: 1 << 26 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([1, 97, 512, 513, 65536])('extracts a PAX archive fed in %i-byte chunks exactly', async (size) => {
    const root = join(dir, `ws-${size}`);
    await mkdir(root);
    const ws = await openWorkspaceRoot(root);
    await extractArchive(ws, '.', Readable.from(chunks(tar, size)));
    const want = new ManifestBuilder();
    want.write(tar);
    const got = await treeManifest(ws.realRoot);
    expect(compareManifests(want.finish(), got)).toMatchObject({ complete: true, extra: [] });
    expect(await readdir(root)).not.toContain('pipe'); // the fifo is dropped, headers and all
  });
});

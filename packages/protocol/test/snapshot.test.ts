import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareManifests, summarizeComparison, type Manifest } from '@berth/protocol';
import { ManifestBuilder, TarFormatError, TarParser, type TarEntry } from '@berth/protocol/snapshot-stream';

let dir: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const small = randomBytes(1000);
const longName = `${'deep/'.repeat(30)}${'n'.repeat(150)}.txt`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-tar-'));
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'sub', 'empty-dir'), { recursive: true });
  await writeFile(join(tree, 'small.bin'), small);
  await writeFile(join(tree, 'empty.txt'), '');
  await mkdir(join(tree, longName, '..'), { recursive: true });
  await writeFile(join(tree, longName), 'long');
  await writeFile(join(tree, 'sub', 'ünïcødé.txt'), 'u');
  await symlink('../small.bin', join(tree, 'sub', 'link'));
  await symlink(`${'x'.repeat(120)}/target`, join(tree, 'longlink'));
  await link(join(tree, 'small.bin'), join(tree, 'sub', 'hard'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const tarOf = (...args: string[]) =>
  execFileSync('tar', ['-C', join(dir, 'tree'), '-cf', '-', ...args, '.'], { maxBuffer: 64 << 20 });

/** Feeds a buffer in odd-sized chunks, as a socket would. */
function feed(tar: Buffer, onEntry: (e: TarEntry) => void = () => {}, chunk = 777) {
  const p = new TarParser({ entry: onEntry });
  for (let i = 0; i < tar.length; i += chunk) p.write(tar.subarray(i, i + chunk));
  p.end();
  return p;
}

function manifestOf(tar: Buffer, chunk = 1013): Manifest {
  const b = new ManifestBuilder();
  for (let i = 0; i < tar.length; i += chunk) b.write(tar.subarray(i, i + chunk));
  return b.finish();
}

describe.each(['gnu', 'posix', 'oldgnu'])('tar format %s', (fmt) => {
  it('lists every member of real GNU tar output, long names, links and empty files included', () => {
    const tar = tarOf(`--format=${fmt}`);
    const entries: TarEntry[] = [];
    feed(tar, (e) => entries.push(e));
    const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, '').replace(/\/$/, ''), e]));
    expect(byName.get(longName)?.type).toBe('file');
    expect(byName.get('sub/link')).toMatchObject({ type: 'symlink', linkname: '../small.bin' });
    expect(byName.get('longlink')?.linkname).toBe(`${'x'.repeat(120)}/target`);
    expect(byName.get('sub/empty-dir')?.type).toBe('dir');
    expect(byName.get('empty.txt')).toMatchObject({ type: 'file', size: 0 });
    expect(byName.get('sub/ünïcødé.txt')?.type).toBe('file');
    const hard = [byName.get('sub/hard'), byName.get('small.bin')];
    expect(hard.map((e) => e?.type).sort()).toEqual(['file', 'hardlink']);
  });

  it('builds a manifest with per-file hashes, hard links counted as their target', () => {
    const tar = tarOf(`--format=${fmt}`);
    const m = manifestOf(tar);
    expect(m.tarBytes).toBe(tar.length);
    expect(m.tarSha256).toBe(sha(tar));
    const by = new Map(m.entries.map((e) => [e.path, e]));
    expect(by.get('small.bin')?.sha256 ?? by.get('sub/hard')?.sha256).toBe(sha(small));
    expect(by.get('sub/hard')?.sha256).toBe(sha(small));
    expect(by.get('empty.txt')).toMatchObject({ size: 0, sha256: sha(Buffer.alloc(0)) });
    expect(by.has('')).toBe(false);
    expect(m.bytes).toBe(1000 + 4 + 1);
  });
});

describe('TarParser', () => {
  it('reads sizes past 8 GiB (GNU base-256 and PAX size)', () => {
    for (const fmt of ['gnu', 'posix']) {
      const big = execFileSync('bash', [
        '-c',
        `d=$(mktemp -d) && truncate -s 9G "$d/big" && tar -C "$d" --format=${fmt} -cf - big | head -c 4096; rm -rf "$d"`,
      ]);
      const p = new TarParser({ entry: (e) => expect(e.size).toBe(9 * 1024 ** 3) });
      p.write(big);
      expect(p.done).toBe(false); // the data has not arrived yet
    }
  });

  it('refuses truncated streams, bad checksums, unsupported types and oversized extension headers', () => {
    const tar = tarOf('--format=gnu');
    expect(() => feed(tar.subarray(0, tar.length - 10240 - 512))).toThrow(TarFormatError);
    expect(() => feed(Buffer.alloc(0))).toThrow(/empty/);
    const bad = Buffer.from(tar);
    bad[10] = (bad[10] as number) ^ 0xff;
    expect(() => feed(bad)).toThrow(/checksum/);
    const sparse = execFileSync('bash', [
      '-c',
      'd=$(mktemp -d) && truncate -s 1M "$d/s" && echo x >> "$d/s" && tar -C "$d" -S --format=gnu -cf - s; rm -rf "$d"',
    ]);
    expect(() => feed(sparse)).toThrow(/not supported/);
    const p = new TarParser({}, { maxExtensionBytes: 100 });
    expect(() => p.write(tarOf('--format=posix'))).toThrow(/extension header/);
  });

  it('ignores what follows the end-of-archive marker', () => {
    const tar = Buffer.concat([tarOf(), Buffer.from('trailing garbage')]);
    expect(feed(tar).done).toBe(true);
  });
});

describe('compareManifests', () => {
  let base: Manifest;
  beforeAll(() => {
    base = manifestOf(tarOf('--format=gnu'));
  });

  it('finds the same tree complete, even archived in another format', () => {
    const c = compareManifests(base, manifestOf(tarOf('--format=posix')));
    expect(c).toMatchObject({ complete: true, missing: [], different: [], extra: [] });
    expect(summarizeComparison(c)).toBe('complete');
  });

  it('reports missing, different and extra entries', () => {
    const actual: Manifest = {
      ...base,
      entries: [
        ...base.entries
          .filter((e) => e.path !== 'empty.txt')
          .map((e) => (e.path === 'sub/link' ? { ...e, linkname: '/etc/passwd' } : e))
          .map((e) => (e.path === 'small.bin' ? { ...e, sha256: '0'.repeat(64) } : e)),
        { path: 'new.txt', type: 'file', size: 1, sha256: 'a' },
      ],
    };
    const c = compareManifests(base, actual);
    expect(c.complete).toBe(false);
    expect(c.missing).toEqual(['empty.txt']);
    expect(c.different.map((d) => d.path).sort()).toEqual(['small.bin', 'sub/link']);
    expect(c.extra).toEqual(['new.txt']);
    expect(summarizeComparison(c)).toMatch(/1 missing .*2 different/);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareManifests, type Manifest } from '@berth/protocol';
import { ManifestBuilder } from '@berth/protocol/snapshot-stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTar, q, startTestAgent, type TarEntry, type TestAgent } from './helpers.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('files/archive', () => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent();
  });
  afterAll(() => t.stop());

  it('round-trips a directory through GET and PUT, bytes, modes and symlinks included', async () => {
    await mkdir(join(t.root, 'proj/src/nested'), { recursive: true });
    await writeFile(join(t.root, 'proj/src/all.bin'), ALL_BYTES);
    await writeFile(join(t.root, 'proj/src/nested/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('../src/all.bin', join(t.root, 'proj/src/nested/link'));
    const out = await t.call('GET', '/files/archive?path=proj');
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toBe('application/x-tar');
    const listing = spawnSync('tar', ['-tf', '-'], { input: out.body }).stdout.toString().split('\n');
    expect(listing).toEqual(
      expect.arrayContaining(['./src/all.bin', './src/nested/run.sh', './src/nested/link']),
    );

    const put = await t.call('PUT', `/files/archive?path=${q('copy/of/proj')}`, { body: out.body });
    expect(put.status).toBe(204);
    const base = join(t.root, 'copy/of/proj/src');
    expect((await readFile(join(base, 'all.bin'))).equals(ALL_BYTES)).toBe(true);
    expect((await lstat(join(base, 'nested/run.sh'))).mode & 0o111).not.toBe(0);
    expect(await readlink(join(base, 'nested/link'))).toBe('../src/all.bin');
  });

  it('archives the whole workspace by default and answers 404/400 for missing or non-directories', async () => {
    const all = await t.call('GET', '/files/archive');
    expect(all.status).toBe(200);
    expect(spawnSync('tar', ['-tf', '-'], { input: all.body }).stdout.toString()).toContain(
      './proj/src/all.bin',
    );
    expect((await t.call('GET', '/files/archive?path=missing')).status).toBe(404);
    expect((await t.call('GET', '/files/archive?path=proj/src/all.bin')).status).toBe(400);
  });

  it('extracts hand-made archives with relative in-workspace symlinks (node_modules/.bin style)', async () => {
    const tar = makeTar([
      { name: 'node_modules/pkg/', type: 'dir' },
      { name: 'node_modules/pkg/cli.js', content: 'console.log(1)\n' },
      { name: 'node_modules/.bin/', type: 'dir' },
      { name: 'node_modules/.bin/pkg', type: 'symlink', linkname: '../pkg/cli.js' },
      { name: 'node_modules/alias', type: 'symlink', linkname: 'pkg' },
      { name: 'node_modules/hard', type: 'hardlink', linkname: 'node_modules/pkg/cli.js' },
    ]);
    const r = await t.call('PUT', '/files/archive?path=app', { body: tar });
    expect(r.status).toBe(204);
    expect(await readFile(join(t.root, 'app/node_modules/.bin/pkg'), 'utf8')).toBe('console.log(1)\n');
    expect(await readFile(join(t.root, 'app/node_modules/hard'), 'utf8')).toBe('console.log(1)\n');
  });

  it('refuses garbage; skips fifos and device nodes (never extracted), extracting the rest', async () => {
    const garbage = await t.call('PUT', '/files/archive?path=g', { body: Buffer.alloc(2048, 7) });
    expect(garbage.status).toBe(400);
    expect(garbage.json().error.code).toBe('invalid_request');
    // The archive streams into tar: the target directory exists, but nothing was extracted into it.
    expect(await readdir(join(t.root, 'g'))).toEqual([]);
    const long = `${'p'.repeat(120)}/fifo`; // a long name: a GNU 'L' header precedes it, dropped with it
    const dev = await t.call('PUT', '/files/archive?path=d', {
      body: makeTar([
        { name: 'before.txt', content: 'b' },
        { name: 'null', type: 'chardev' },
        { name: 'pipe', type: 'fifo' },
        { name: 'after.txt', content: 'a' },
      ]),
    });
    expect(dev.status).toBe(204);
    expect((await readdir(join(t.root, 'd'))).sort()).toEqual(['after.txt', 'before.txt']);
    const gnu = spawnSync('bash', [
      '-c',
      `set -e; d=$(mktemp -d); mkdir -p "$d/${long.split('/')[0]}"; mkfifo "$d/${long}"; echo x > "$d/keep"; tar -C "$d" --format=gnu -cf - .; rm -rf "$d"`,
    ]);
    const r = await t.call('PUT', '/files/archive?path=gnu', { body: gnu.stdout });
    expect(r.status).toBe(204);
    expect(await readFile(join(t.root, 'gnu/keep'), 'utf8')).toBe('x\n');
    expect(await readdir(join(t.root, 'gnu', long.split('/')[0]!))).toEqual([]);
  });

  describe('malicious archives', () => {
    beforeEach(async () => {
      await mkdir(join(t.root, 'sub'), { recursive: true });
    });

    const cases: [string, () => TarEntry[]][] = [
      ['an absolute member name', () => [{ name: join(t.outside, 'abs.txt'), content: 'pwned' }]],
      ['a .. member name', () => [{ name: '../outside/dotdot.txt', content: 'pwned' }]],
      ['a .. hidden in the middle', () => [{ name: 'a/../../outside/mid.txt', content: 'pwned' }]],
      [
        'an absolute symlink out, then a file through it',
        () => [
          { name: 'esc', type: 'symlink', linkname: t.outside },
          { name: 'esc/through.txt', content: 'pwned' },
        ],
      ],
      ['a relative symlink leading out', () => [{ name: 'rel', type: 'symlink', linkname: '../../outside' }]],
      [
        'a symlink chain that only leaves the root when resolved',
        () => [
          { name: 'b', type: 'symlink', linkname: '..' },
          { name: 'a', type: 'symlink', linkname: 'b/../outside' },
        ],
      ],
      [
        'a file written through a symlink defined earlier in the archive',
        () => [
          { name: 'up', type: 'symlink', linkname: '..' },
          { name: 'up/up2', type: 'symlink', linkname: '..' },
          { name: 'up/up2/escaped.txt', content: 'pwned' },
        ],
      ],
      [
        'a hard link to a file outside',
        () => [{ name: 'h', type: 'hardlink', linkname: '../outside/victim.txt' }],
      ],
      [
        'a link made harmless-looking first and turned outward by a later member',
        () => [
          { name: 'd/', type: 'dir' },
          { name: 'x', type: 'symlink', linkname: 'd/../../outside' },
          { name: 'd', type: 'symlink', linkname: '.' },
        ],
      ],
      [
        'a hard link with an absolute target',
        () => [{ name: 'h', type: 'hardlink', linkname: '/etc/passwd' }],
      ],
    ];

    it.each(cases)('refuses %s and writes nothing outside', async (_label, entries) => {
      await writeFile(join(t.outside, 'victim.txt'), 'original');
      const before = await readdir(join(t.root, 'sub'));
      const r = await t.call('PUT', '/files/archive?path=sub', { body: makeTar(entries()) });
      expect(r.status).toBe(400);
      expect(r.json().error.code).toBe('invalid_request');
      // Refused by the agent's own vetting, not by tar half-way through.
      expect(r.json().error.message).toMatch(/^tar (member|symlink|hard link)/);
      expect((await readdir(t.outside)).sort()).toEqual(['victim.txt']);
      expect(await readFile(join(t.outside, 'victim.txt'), 'utf8')).toBe('original');
      // Members before the bad one may have been extracted (the archive streams into tar), never the bad one.
      const names = new Set(entries().map((e) => e.name.split('/')[0]));
      for (const name of await readdir(join(t.root, 'sub')))
        expect(before.includes(name) || names.has(name)).toBe(true);
    });

    it('refuses a member written through a symlink already on disk that leads outside', async () => {
      await symlink(t.outside, join(t.root, 'sub/disk-link'));
      const r = await t.call('PUT', '/files/archive?path=sub', {
        body: makeTar([{ name: 'disk-link/planted.txt', content: 'pwned' }]),
      });
      expect(r.status).toBe(400);
      expect((await readdir(t.outside)).sort()).toEqual(['victim.txt']);
      // And as the extraction target itself.
      const r2 = await t.call('PUT', '/files/archive?path=sub/disk-link', {
        body: makeTar([{ name: 'planted.txt', content: 'pwned' }]),
      });
      expect(r2.status).toBe(400);
      expect(r2.json().error.code).toBe('invalid_path');
      expect((await readdir(t.outside)).sort()).toEqual(['victim.txt']);
    });

    it('refuses a symlink whose target goes through an on-disk symlink and back out', async () => {
      // sub/deep/d -> ../.. is the root (fine on its own); a link from inside it to ../outside leaves.
      await mkdir(join(t.root, 'sub/deep'), { recursive: true });
      await symlink('../..', join(t.root, 'sub/deep/d'));
      const r = await t.call('PUT', '/files/archive?path=sub', {
        body: makeTar([{ name: 'deep/d/x', type: 'symlink', linkname: '../outside' }]),
      });
      expect(r.status).toBe(400);
      await expect(lstat(join(t.root, 'x'))).rejects.toThrow();
    });
  });

  describe('streaming', () => {
    it('extracts an archive far past the 6 MiB body limit, byte for byte', async () => {
      const big = randomBytes(20 * 1024 * 1024);
      const tar = makeTar([
        { name: 'big/', type: 'dir' },
        { name: 'big/blob.bin', content: big },
        { name: 'big/after.txt', content: 'after' },
      ]);
      const r = await t.call('PUT', '/files/archive?path=streamed', { body: tar });
      expect(r.status).toBe(204);
      expect((await readFile(join(t.root, 'streamed/big/blob.bin'))).equals(big)).toBe(true);
      expect(await readFile(join(t.root, 'streamed/big/after.txt'), 'utf8')).toBe('after');
    });

    it('stops at the first bad member: its header never reaches tar, whatever came before', async () => {
      const tar = makeTar([
        { name: 'first.bin', content: randomBytes(8 * 1024 * 1024) },
        { name: '../outside/late.txt', content: 'pwned' },
        { name: 'never.txt', content: 'never' },
      ]);
      const r = await t.call('PUT', '/files/archive?path=partial', { body: tar });
      expect(r.status).toBe(400);
      expect(r.json().error.message).toMatch(/contains "\.\."/);
      expect(await readdir(t.outside)).not.toContain('late.txt');
      expect(await readdir(join(t.root, 'partial'))).not.toContain('never.txt');
    });

    it('answers 400 for a truncated archive', async () => {
      const tar = makeTar([{ name: 'cut.bin', content: randomBytes(100_000) }]);
      const r = await t.call('PUT', '/files/archive?path=cut', { body: tar.subarray(0, 50_000) });
      expect(r.status).toBe(400);
      expect(r.json().error.message).toMatch(/truncated/);
    });
  });

  describe('GET /files/manifest', () => {
    it("lists the tree like the archive's manifest: hashes, symlinks, hard links", async () => {
      await mkdir(join(t.root, 'm/sub'), { recursive: true });
      await writeFile(join(t.root, 'm/a.bin'), ALL_BYTES);
      await writeFile(join(t.root, 'm/empty'), '');
      await symlink('../a.bin', join(t.root, 'm/sub/link'));
      await link(join(t.root, 'm/a.bin'), join(t.root, 'm/sub/hard'));
      const r = await t.call('GET', '/files/manifest?path=m');
      expect(r.status).toBe(200);
      const m = r.json() as Manifest;
      const archive = await t.call('GET', '/files/archive?path=m');
      const b = new ManifestBuilder();
      b.write(archive.body);
      expect(compareManifests(b.finish(), m).complete).toBe(true);
      const by = new Map(m.entries.map((e) => [e.path, e]));
      const sha = createHash('sha256').update(ALL_BYTES).digest('hex');
      expect(by.get('sub/hard')?.sha256 ?? by.get('a.bin')?.sha256).toBe(sha);
      expect(by.get('sub/link')).toMatchObject({ type: 'symlink', linkname: '../a.bin' });
      expect(by.get('empty')).toMatchObject({ type: 'file', size: 0 });
      expect(m.files).toBe(3);
    });

    it('answers 404 for a missing directory and 400 for a file', async () => {
      await writeFile(join(t.root, 'plain.txt'), 'x');
      expect((await t.call('GET', '/files/manifest?path=nope')).status).toBe(404);
      expect((await t.call('GET', '/files/manifest?path=plain.txt')).status).toBe(400);
    });
  });
});

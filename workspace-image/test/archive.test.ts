import { spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

  it('refuses garbage and unsupported member types', async () => {
    const garbage = await t.call('PUT', '/files/archive?path=g', { body: Buffer.alloc(2048, 7) });
    expect(garbage.status).toBe(400);
    expect(garbage.json().error.code).toBe('invalid_request');
    const dev = await t.call('PUT', '/files/archive?path=g', {
      body: makeTar([{ name: 'null', type: 'chardev' }]),
    });
    expect(dev.status).toBe(400);
    await expect(lstat(join(t.root, 'g'))).rejects.toThrow();
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

    it.each(cases)('refuses %s and writes nothing', async (_label, entries) => {
      await writeFile(join(t.outside, 'victim.txt'), 'original');
      const before = await readdir(join(t.root, 'sub'));
      const r = await t.call('PUT', '/files/archive?path=sub', { body: makeTar(entries()) });
      expect(r.status).toBe(400);
      expect(r.json().error.code).toBe('invalid_request');
      // Refused by the agent's own vetting, not by tar half-way through.
      expect(r.json().error.message).toMatch(/^tar (member|symlink|hard link)/);
      expect((await readdir(t.outside)).sort()).toEqual(['victim.txt']);
      expect(await readFile(join(t.outside, 'victim.txt'), 'utf8')).toBe('original');
      expect(await readdir(join(t.root, 'sub'))).toEqual(before);
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
});

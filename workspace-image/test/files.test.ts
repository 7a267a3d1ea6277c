import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { q, startTestAgent, type TestAgent } from './helpers.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('files', () => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent();
    await writeFile(join(t.outside, 'secret.txt'), 'outside secret');
  });
  afterAll(() => t.stop());

  it('writes and reads back every byte value, creating parents', async () => {
    const put = await t.call('PUT', `/files?path=${q('deep/er/all.bin')}`, { body: ALL_BYTES });
    expect(put.status).toBe(204);
    expect((await readFile(join(t.root, 'deep/er/all.bin'))).equals(ALL_BYTES)).toBe(true);
    const get = await t.call('GET', `/files?path=${q('deep/er/all.bin')}`);
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(get.headers['content-length']).toBe('256');
    expect(get.body.equals(ALL_BYTES)).toBe(true);
  });

  it('accepts absolute paths under the root and any content type', async () => {
    const abs = join(t.root, 'abs.txt');
    const put = await t.call('PUT', `/files?path=${q(abs)}`, {
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(put.status).toBe(204);
    expect((await t.call('GET', `/files?path=${q(abs)}`)).body.toString()).toBe('x');
    expect((await t.call('GET', `/files?path=${q('./abs.txt')}`)).body.toString()).toBe('x');
  });

  it('overwrites atomically, keeps the mode, leaves no temp files, and handles empty files', async () => {
    await writeFile(join(t.root, 'run.sh'), 'old');
    await chmod(join(t.root, 'run.sh'), 0o755);
    expect((await t.call('PUT', '/files?path=run.sh', { body: '#!/bin/sh\necho new\n' })).status).toBe(204);
    expect(await readFile(join(t.root, 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho new\n');
    expect((await stat(join(t.root, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await t.call('PUT', '/files?path=empty', { body: '' })).status).toBe(204);
    const empty = await t.call('GET', '/files?path=empty');
    expect(empty.status).toBe(200);
    expect(empty.body.length).toBe(0);
    const listing = (await t.call('GET', '/files?path=.')).json();
    expect(
      listing.entries.map((e: { name: string }) => e.name).filter((n: string) => n.includes('.tmp')),
    ).toEqual([]);
  });

  it('lists a directory with types, sizes and ISO mtimes (symlinks not followed)', async () => {
    await mkdir(join(t.root, 'list/sub'), { recursive: true });
    await writeFile(join(t.root, 'list/a.txt'), 'abc');
    await symlink('a.txt', join(t.root, 'list/link'));
    const r = await t.call('GET', '/files?path=list');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const { entries } = r.json();
    expect(entries.map((e: { name: string; type: string }) => [e.name, e.type])).toEqual([
      ['a.txt', 'file'],
      ['link', 'symlink'],
      ['sub', 'dir'],
    ]);
    expect(entries[0].size).toBe(3);
    expect(new Date(entries[0].mtime).toISOString()).toBe(entries[0].mtime);
    // No path: the root.
    const root = (await t.call('GET', '/files')).json();
    expect(root.entries.some((e: { name: string }) => e.name === 'list')).toBe(true);
  });

  it('reads through a symlink that stays inside the workspace', async () => {
    const r = await t.call('GET', '/files?path=list/link');
    expect(r.body.toString()).toBe('abc');
  });

  it('deletes files and directories recursively; 404 when missing; never the root', async () => {
    await mkdir(join(t.root, 'gone/x/y'), { recursive: true });
    await writeFile(join(t.root, 'gone/x/y/f'), '1');
    expect((await t.call('DELETE', '/files?path=gone/x/y/f')).status).toBe(204);
    expect((await t.call('GET', '/files?path=gone/x/y/f')).status).toBe(404);
    expect((await t.call('DELETE', '/files?path=gone')).status).toBe(204);
    await expect(lstat(join(t.root, 'gone'))).rejects.toThrow();
    const missing = await t.call('DELETE', '/files?path=gone');
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    for (const path of ['.', '/', t.root, '']) {
      const r = await t.call('DELETE', `/files?path=${q(path)}`);
      expect(r.status, path).toBe(400);
    }
    expect((await stat(t.root)).isDirectory()).toBe(true);
  });

  it('answers 404 for a missing file and 400 for writes onto a directory', async () => {
    const r = await t.call('GET', '/files?path=nope/nothing.txt');
    expect(r.status).toBe(404);
    expect(r.json().error.code).toBe('not_found');
    expect((await t.call('PUT', '/files?path=list', { body: 'x' })).status).toBe(400);
    expect((await t.call('PUT', '/files?path=list/a.txt/below', { body: 'x' })).status).toBe(400);
  });

  describe('confinement', () => {
    const escapes = [
      '../../etc/passwd',
      '../outside/secret.txt',
      '/etc/passwd',
      'a/../../outside/secret.txt',
      'list/../..',
      '..',
    ];

    it.each(escapes)('refuses %s for read, write and delete', async (path) => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const r = await t.call(method, `/files?path=${q(path)}`, method === 'PUT' ? { body: 'pwned' } : {});
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.json().error.code).toBe('invalid_path');
      }
      expect(await readFile(join(t.outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    });

    it('refuses percent-encoded traversal and NUL bytes', async () => {
      for (const raw of [
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '%2E%2E/outside/secret.txt',
        '..%2foutside',
        'a%00b',
        '%00',
      ]) {
        const r = await t.call('GET', `/files?path=${raw}`);
        expect(r.status, raw).toBe(400);
        expect(r.json().error.code).toBe('invalid_path');
      }
      expect((await t.call('PUT', '/files?path=a%00b', { body: 'x' })).status).toBe(400);
      expect((await t.call('GET', '/files?path=...')).status).toBe(404); // a plain name, not a traversal
    });

    it('refuses to read or write through a symlink that leads outside', async () => {
      await symlink(join(t.outside, 'secret.txt'), join(t.root, 'file-link'));
      await symlink(t.outside, join(t.root, 'dir-link'));
      await symlink('../outside', join(t.root, 'rel-link'));
      const attempts: [string, string][] = [
        ['GET', 'file-link'],
        ['PUT', 'file-link'],
        ['GET', 'dir-link/secret.txt'],
        ['PUT', 'dir-link/secret.txt'],
        ['PUT', 'dir-link/new.txt'],
        ['PUT', 'dir-link/newdir/new.txt'],
        ['GET', 'rel-link/secret.txt'],
        ['PUT', 'rel-link/new.txt'],
        ['GET', 'dir-link'],
        ['DELETE', 'dir-link/secret.txt'],
        ['GET', '/files/archive?path=dir-link'],
        ['PUT', '/files/archive?path=dir-link'],
      ];
      for (const [method, path] of attempts) {
        const url = path.startsWith('/') ? path : `/files?path=${q(path)}`;
        const r = await t.call(method, url, method === 'PUT' ? { body: 'pwned' } : {});
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.json().error.code).toBe('invalid_path');
      }
      const exec = await t.call('POST', '/exec', { body: { cmd: ['pwd'], cwd: 'dir-link' } });
      expect(exec.status).toBe(400);
      expect(await readFile(join(t.outside, 'secret.txt'), 'utf8')).toBe('outside secret');
      expect((await t.call('GET', `/files?path=${q(t.outside)}`)).status).toBe(400);
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(t.outside)).toEqual(['secret.txt']);
      // Deleting the link itself is fine and leaves its target alone.
      expect((await t.call('DELETE', '/files?path=file-link')).status).toBe(204);
      expect(await readFile(join(t.outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    });

    it('refuses to write onto a symlink even when it points inside', async () => {
      await writeFile(join(t.root, 'target.txt'), 'original');
      await symlink('target.txt', join(t.root, 'inside-link'));
      const r = await t.call('PUT', '/files?path=inside-link', { body: 'changed' });
      expect(r.status).toBe(400);
      expect(await readFile(join(t.root, 'target.txt'), 'utf8')).toBe('original');
      expect((await lstat(join(t.root, 'inside-link'))).isSymbolicLink()).toBe(true);
    });

    it('refuses a dangling symlink as a parent directory', async () => {
      await symlink(join(t.outside, 'not-yet'), join(t.root, 'dangling'));
      const r = await t.call('PUT', '/files?path=dangling/x.txt', { body: 'x' });
      expect(r.status).toBe(400);
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(t.outside)).toEqual(['secret.txt']);
    });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniq, useLocalBerth } from '../support/local-berth.js';

// Workspace files through the public API: raw bytes in and out, directory listings, delete.
const b = useLocalBerth();
let id: string;

beforeAll(async () => {
  id = (await b.createWorkspace(uniq('files'))).json.id;
});

const filesUrl = (path: string) => `/v1/workspaces/${id}/files?path=${encodeURIComponent(path)}`;
const put = (path: string, body: Buffer) =>
  b.api('PUT', filesUrl(path), { body, headers: { 'content-type': 'application/octet-stream' } });
const get = (path: string) => b.api('GET', filesUrl(path));
const sha = (id_: string, path: string) => b.sh(id_, `sha256sum '${path}' | cut -d' ' -f1`);

describe('files', () => {
  it('round-trips all 256 byte values exactly', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const doubled = Buffer.concat([all, Buffer.from(all).reverse()]);
    expect((await put('bytes/all.bin', doubled)).status).toBe(204);
    const r = await get('bytes/all.bin');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.bytes.length).toBe(512);
    expect(r.bytes.equals(doubled)).toBe(true);
    // What the workspace sees is the same bytes.
    const inside = await b.exec(id, ['od', '-An', '-v', '-tu1', 'bytes/all.bin']);
    const values = inside.json.stdout.trim().split(/\s+/).map(Number);
    expect(values).toEqual([...doubled]);
  });

  it('round-trips 1 MiB of random bytes', async () => {
    const data = randomBytes(1024 * 1024);
    expect((await put('big/random.bin', data)).status).toBe(204);
    const r = await get('big/random.bin');
    expect(r.status).toBe(200);
    expect(r.bytes.length).toBe(data.length);
    expect(r.bytes.equals(data)).toBe(true);
    expect((await sha(id, 'big/random.bin')).trim()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('accepts /workspace-absolute paths and overwrites in place', async () => {
    expect((await put('/workspace/abs.txt', Buffer.from('one'))).status).toBe(204);
    expect((await put('abs.txt', Buffer.from('two, longer'))).status).toBe(204);
    expect((await get('/workspace/abs.txt')).text).toBe('two, longer');
    expect((await b.exec(id, ['cat', '/workspace/abs.txt'])).json.stdout).toBe('two, longer');
    // An empty file is a file too.
    expect((await put('empty.txt', Buffer.alloc(0))).status).toBe(204);
    const empty = await get('empty.txt');
    expect(empty.status).toBe(200);
    expect(empty.bytes.length).toBe(0);
  });

  it('creates missing parents for a nested path', async () => {
    const body = Buffer.from('deep\n');
    expect((await put('a/b/c/d/e.txt', body)).status).toBe(204);
    expect(await b.sh(id, 'test -d a/b/c/d && cat a/b/c/d/e.txt')).toBe('deep\n');
    expect((await get('a/b/c/d/e.txt')).bytes.equals(body)).toBe(true);
  });

  it('lists a directory: entries with name, type, size, mtime', async () => {
    await put('listing/one.txt', Buffer.from('12345'));
    await put('listing/sub/two.txt', Buffer.from('x'));
    await b.sh(id, 'ln -s one.txt listing/link');
    const r = await get('listing');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const entries = (r.json as { entries: { name: string; type: string; size: number; mtime: string }[] })
      .entries;
    const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['link', 'one.txt', 'sub']);
    expect(byName['one.txt']).toMatchObject({ type: 'file', size: 5 });
    expect(byName.sub!.type).toBe('dir');
    expect(byName.link!.type).toBe('symlink');
    for (const e of entries) expect(Number.isNaN(Date.parse(e.mtime))).toBe(false);
    expect(Math.abs(Date.parse(byName['one.txt']!.mtime) - Date.now())).toBeLessThan(60_000);
    // The root lists too.
    const root = await get('/workspace');
    expect(root.status).toBe(200);
    expect((root.json as { entries: { name: string }[] }).entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(['listing', 'a', 'abs.txt']),
    );
  });

  it('deletes a file, then GET answers 404 (and a directory recursively)', async () => {
    await put('gone/file.txt', Buffer.from('bye'));
    const del = await b.api('DELETE', filesUrl('gone/file.txt'));
    expect(del.status).toBe(204);
    const after = await get('gone/file.txt');
    expect(after.status).toBe(404);
    expect(after.json.error).toMatchObject({ code: 'not_found' });
    expect(typeof after.json.error.requestId).toBe('string');
    expect((await b.exec(id, ['test', '-e', 'gone/file.txt'])).json.exitCode).not.toBe(0);

    await put('gone/tree/x.txt', Buffer.from('x'));
    expect((await b.api('DELETE', filesUrl('gone'))).status).toBe(204);
    expect((await get('gone')).status).toBe(404);
    // A missing file answers 404 on GET, never 500.
    expect((await get('never/was.txt')).status).toBe(404);
  });
});

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY, json, routes, runCli, useFakeBerth } from './support/run-cli.js';

// `berth cp`: one file either way, byte for byte.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });
const every = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

function workspaceFiles(files: Map<string, Buffer>) {
  fake.handle(
    routes({
      'PUT /v1/workspaces/ws_1/files': (req, res) => {
        files.set(req.query.path!, req.body);
        res.writeHead(204).end();
      },
      'GET /v1/workspaces/ws_1/files': (req, res) => {
        const body = files.get(req.query.path!);
        if (body) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
        json(res, 200, { entries: [] }); // a directory
      },
    }),
  );
}

describe('cp', () => {
  it('in and out, every byte value exact; --json says what was copied', async () => {
    const files = new Map<string, Buffer>();
    workspaceFiles(files);
    const dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
    await writeFile(join(dir, 'in.bin'), every);
    const put = await runCli(['cp', join(dir, 'in.bin'), 'ws_1:data/in.bin'], { env: env() });
    expect(put).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(files.get('data/in.bin')).toEqual(every);
    const get = await runCli(['cp', 'ws_1:data/in.bin', join(dir, 'out.bin'), '--json'], { env: env() });
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({
      from: 'ws_1:data/in.bin',
      to: join(dir, 'out.bin'),
      bytes: 512,
    });
    expect(await readFile(join(dir, 'out.bin'))).toEqual(every);
    // Straight to the workspace's files by id: no GET of the workspace first.
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'PUT /v1/workspaces/ws_1/files',
      'GET /v1/workspaces/ws_1/files',
    ]);
  });

  it('a directory as destination keeps the file name (local dir, remote `dir/` or `id:`)', async () => {
    const files = new Map<string, Buffer>([['a/b.txt', Buffer.from('hi')]]);
    workspaceFiles(files);
    const dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
    expect((await runCli(['cp', 'ws_1:a/b.txt', dir], { env: env() })).code).toBe(0);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('hi');
    await runCli(['cp', join(dir, 'b.txt'), 'ws_1:up/'], { env: env() });
    await runCli(['cp', join(dir, 'b.txt'), 'ws_1:'], { env: env() });
    expect([...files.keys()].sort()).toEqual(['a/b.txt', 'b.txt', 'up/b.txt']);
  });

  it('directories are refused on either side', async () => {
    workspaceFiles(new Map());
    const dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
    const local = await runCli(['cp', dir, 'ws_1:x'], { env: env() });
    expect(local).toMatchObject({ code: 1, stderr: `berth: ${dir} is a directory: cp copies files only\n` });
    const remote = await runCli(['cp', 'ws_1:docs', join(dir, 'x')], { env: env() });
    expect(remote).toMatchObject({
      code: 1,
      stderr: 'berth: ws_1:docs is a directory: cp copies files only\n',
    });
  });

  it('a local path with a colon after a slash is local', async () => {
    const files = new Map<string, Buffer>();
    workspaceFiles(files);
    const dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
    await writeFile(join(dir, 'a:b'), 'x');
    expect((await runCli(['cp', join(dir, 'a:b'), 'ws_1:f'], { env: env() })).code).toBe(0);
    expect(files.get('f')).toEqual(Buffer.from('x'));
  });
});

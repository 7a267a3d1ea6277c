import { execFileSync } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestAgent, type TestAgent } from './helpers.js';

describe('GET /files/changes', () => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent();
  });
  afterAll(() => t.stop());

  it('reports everything without a cursor, then only what changed or went since it', async () => {
    await mkdir(join(t.root, 'src'), { recursive: true });
    await writeFile(join(t.root, 'src/keep.txt'), 'keep');
    await writeFile(join(t.root, 'src/edit.txt'), 'v1');
    await writeFile(join(t.root, 'src/remove.txt'), 'bye');
    await writeFile(join(t.root, 'src/move.txt'), 'm');
    // Cursors sit 1 s before their walk (coarse file timestamps): wait that out so these files are "old".
    await sleep(1100);
    const first = await t.call('GET', '/files/changes');
    expect(first.status).toBe(200);
    const a = first.json();
    expect(a.changed).toEqual(['src/edit.txt', 'src/keep.txt', 'src/move.txt', 'src/remove.txt']);
    expect(a).toMatchObject({ deleted: [], deletedKnown: true });
    expect(typeof a.cursor).toBe('string');

    const second = (await t.call('GET', `/files/changes?since=${a.cursor}`)).json();
    expect(second.changed).toEqual([]);

    await writeFile(join(t.root, 'src/edit.txt'), 'v2');
    await writeFile(join(t.root, 'src/new.txt'), 'new');
    await rm(join(t.root, 'src/remove.txt'));
    await rename(join(t.root, 'src/move.txt'), join(t.root, 'moved.txt'));
    // An old mtime does not hide a change: ctime still moves.
    await writeFile(join(t.root, 'src/old-stamp.txt'), 'x');
    execFileSync('touch', ['-d', '2001-01-01', join(t.root, 'src/old-stamp.txt')]);
    // The agent's own atomic-write temp files are never reported.
    await writeFile(join(t.root, 'src/.x.berth-0123abcd.tmp'), '');

    const third = (await t.call('GET', `/files/changes?since=${second.cursor}`)).json();
    expect(third.changed).toEqual(['moved.txt', 'src/edit.txt', 'src/new.txt', 'src/old-stamp.txt']);
    expect(third.deleted).toEqual(['src/move.txt', 'src/remove.txt']);
    expect(third.deletedKnown).toBe(true);
  });

  it('still answers for an unknown or plain-timestamp cursor, without deletions', async () => {
    const r = (await t.call('GET', `/files/changes?since=${Date.now() - 60_000}`)).json();
    expect(r.deletedKnown).toBe(false);
    expect(r.deleted).toEqual([]);
    expect(r.changed).toContain('src/new.txt');
  });

  it('refuses a malformed cursor', async () => {
    for (const since of ['yesterday', '-5', '12.5', '1-2-3']) {
      const r = await t.call('GET', `/files/changes?since=${since}`);
      expect(r.status, since).toBe(400);
      expect(r.json().error.code).toBe('invalid_request');
    }
  });
});

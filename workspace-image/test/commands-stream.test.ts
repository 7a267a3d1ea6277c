import type { IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSse,
  processGone,
  sleep,
  startTestAgent,
  type TestAgent,
  LAUNCHERS,
  requireSpawner,
} from './helpers.js';

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const c of res) text += c as string;
  return text;
}

describe.each(LAUNCHERS)('POST /exec/stream ($name)', ({ name, config }) => {
  let t: TestAgent;
  beforeAll(async () => {
    if (name === 'berth-spawner') requireSpawner();
    t = await startTestAgent(config);
  });
  afterAll(() => t.stop());

  it('streams stdout and stderr as JSON strings, then exit, byte-exact', async () => {
    const script = [
      'printf "line1\\nline2\\n"',
      'sleep 0.05',
      'printf "err: one\\n\\n" >&2',
      'sleep 0.05',
      'printf "  spaced \\"quoted\\" \\\\ tab\\there\\r\\n"',
      'sleep 0.05',
      'printf "no-newline-at-end"',
    ].join('; ');
    const res = await t.open('POST', '/exec/stream', { body: { cmd: ['sh', '-c', script] } }).response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(await readAll(res));
    const last = events.at(-1);
    expect(last?.event).toBe('exit');
    expect(JSON.parse(last?.data ?? '')).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      truncated: false,
    });
    expect(events.filter((e) => e.event === 'exit')).toHaveLength(1);
    const join = (name: string) =>
      events
        .filter((e) => e.event === name)
        .map((e) => JSON.parse(e.data) as string)
        .join('');
    expect(join('stdout')).toBe('line1\nline2\n  spaced "quoted" \\ tab\there\r\nno-newline-at-end');
    expect(join('stderr')).toBe('err: one\n\n');
    // Order as produced: the first stdout chunk, then stderr, then the rest of stdout.
    const names = events.map((e) => e.event);
    expect(names.indexOf('stdout')).toBeLessThan(names.indexOf('stderr'));
    expect(names.lastIndexOf('stdout')).toBeGreaterThan(names.indexOf('stderr'));
  });

  it('keeps multi-byte characters whole when the bytes arrive split', async () => {
    // 日 is e6 97 a5: the first two bytes and the last arrive in separate writes.
    const res = await t.open('POST', '/exec/stream', {
      body: { cmd: ['sh', '-c', 'printf "\\346\\227"; sleep 0.1; printf "\\245\\n"'] },
    }).response;
    const events = parseSse(await readAll(res));
    const out = events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data) as string);
    expect(out.join('')).toBe('日\n');
    expect(out.every((s) => !s.includes('\ufffd'))).toBe(true);
  });

  it('flushes each chunk as it comes, before the command ends', async () => {
    const started = Date.now();
    const res = await t.open('POST', '/exec/stream', {
      body: { cmd: ['sh', '-c', 'echo first; sleep 2.5; echo second'] },
    }).response;
    res.setEncoding('utf8');
    let text = '';
    let firstAt = 0;
    for await (const c of res) {
      text += c as string;
      if (!firstAt && text.includes('"first\\n"')) firstAt = Date.now() - started;
    }
    expect(firstAt).toBeGreaterThan(0);
    expect(firstAt).toBeLessThan(2000);
    expect(parseSse(text).map((e) => e.event)).toEqual(['stdout', 'stdout', 'exit']);
  });

  it('reports timeout and command-not-found in the exit event', async () => {
    const res = await t.open('POST', '/exec/stream', { body: { cmd: ['sleep', '10'], timeoutMs: 200 } })
      .response;
    const exit = parseSse(await readAll(res)).at(-1);
    expect(JSON.parse(exit?.data ?? '')).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });

    const res2 = await t.open('POST', '/exec/stream', { body: { cmd: ['no-such-cmd-abc'] } }).response;
    const events = parseSse(await readAll(res2));
    expect(JSON.parse(events.find((e) => e.event === 'stderr')?.data ?? '""')).toContain('command not found');
    expect(JSON.parse(events.at(-1)?.data ?? '')).toMatchObject({ exitCode: 127 });
  });

  it('caps output when maxOutputBytes is set', async () => {
    const res = await t.open('POST', '/exec/stream', {
      body: { cmd: ['sh', '-c', 'head -c 3000 /dev/zero | tr "\\0" x'], maxOutputBytes: 100 },
    }).response;
    const events = parseSse(await readAll(res));
    const out = events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data) as string);
    expect(out.join('')).toBe('x'.repeat(100));
    expect(JSON.parse(events.at(-1)?.data ?? '')).toMatchObject({ truncated: true, exitCode: 0 });
  });

  it('answers validation errors as JSON before any stream starts', async () => {
    const r = await t.call('POST', '/exec/stream', { body: { cmd: 'ls' } });
    expect(r.status).toBe(400);
    expect(r.json().error.code).toBe('invalid_request');
  });

  it('kills the process group when the client disconnects', async () => {
    const { response, abort } = t.open('POST', '/exec/stream', {
      body: {
        cmd: ['sh', '-c', 'sleep 100 & echo $! > child.pid; echo $$ > leader.pid; echo started; wait'],
      },
    });
    const res = await response;
    res.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      res.on('data', (c: string) => {
        if (c.includes('started')) resolve();
      });
    });
    res.on('error', () => {});
    const pids = [
      Number(await readFile(join(t.root, 'child.pid'), 'utf8')),
      Number(await readFile(join(t.root, 'leader.pid'), 'utf8')),
    ];
    abort();
    for (const pid of pids) {
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        gone = await processGone(pid);
        if (!gone) await sleep(50);
      }
      expect(gone, `pid ${pid}`).toBe(true);
    }
  });
});

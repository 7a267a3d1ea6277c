import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSse, uniq, useLocalBerth, type SseEvent } from '../support/local-berth.js';

// Command execution through the public API: JSON, SSE stream and raw bytes, against the real agent.
const b = useLocalBerth();
let id: string;

beforeAll(async () => {
  id = (await b.createWorkspace(uniq('exec'))).json.id;
});

/** POST /exec with Accept: text/event-stream; the response plus when its headers arrived. */
async function stream(body: Record<string, unknown>) {
  const res = await b.fetch('POST', `/v1/workspaces/${id}/exec`, {
    body,
    headers: { accept: 'text/event-stream' },
  });
  return res;
}

const decoded = (events: SseEvent[]) =>
  events.map((e) => ({ event: e.event, data: JSON.parse(e.data) as unknown, at: e.at }));

describe('JSON exec', () => {
  it('echo: exact stdout, empty stderr, exit 0', async () => {
    const r = await b.exec(id, ['echo', 'hello', 'world']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      exitCode: 0,
      stdout: 'hello world\n',
      stderr: '',
      timedOut: false,
      truncated: false,
    });
    expect(r.json.durationMs).toBeGreaterThanOrEqual(0);
    // argv, no shell: metacharacters reach the program as they are.
    const literal = await b.exec(id, ['echo', '$HOME; `id` && | *']);
    expect(literal.json.stdout).toBe('$HOME; `id` && | *\n');
  });

  it('starts commands through berth-spawner (posix_spawn), not by forking the agent', async () => {
    // The command's parent is the helper, run as uid 1000 like everything in the workspace.
    const r = await b.exec(id, ['sh', '-c', 'cat /proc/$PPID/comm; stat -c %u /proc/$PPID']);
    expect(r.json).toMatchObject({ exitCode: 0, stdout: 'berth-spawner\n1000\n' });
  });

  it('reports a non-zero exit code and stderr', async () => {
    const r = await b.exec(id, ['sh', '-c', 'echo out; echo oops >&2; exit 3']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'oops\n', timedOut: false });
    const missing = await b.exec(id, ['no-such-program-xyz']);
    expect(missing.status).toBe(200);
    expect(missing.json.exitCode).not.toBe(0);
  });

  it('feeds stdin', async () => {
    const input = 'line one\nline two\n\u00e9\u4e2d\n';
    const r = await b.exec(id, ['cat'], { stdin: input });
    expect(r.json).toMatchObject({ exitCode: 0, stdout: input });
    const wc = await b.exec(id, ['wc', '-l'], { stdin: 'a\nb\nc\n' });
    expect(wc.json.stdout.trim()).toBe('3');
  });

  it('passes env and cwd (relative and absolute under /workspace)', async () => {
    await b.sh(id, 'mkdir -p /workspace/sub/dir');
    const r = await b.exec(id, ['sh', '-c', 'printf "%s|%s|%s" "$FOO" "$BAR_2" "$(pwd)"'], {
      env: { FOO: 'foo value', BAR_2: 'x=y' },
      cwd: 'sub/dir',
    });
    expect(r.json).toMatchObject({ exitCode: 0, stdout: 'foo value|x=y|/workspace/sub/dir' });
    const abs = await b.exec(id, ['pwd'], { cwd: '/workspace/sub' });
    expect(abs.json.stdout).toBe('/workspace/sub\n');
    const dflt = await b.exec(id, ['pwd']);
    expect(dflt.json.stdout).toBe('/workspace\n');
    // A cwd outside the workspace is refused before anything runs.
    const out = await b.exec(id, ['pwd'], { cwd: '/etc' });
    expect(out.status).toBe(400);
    expect(out.json.error!.code).toBe('invalid_path');
  });

  it('caps huge output and says so (truncated)', async () => {
    const r = await b.exec(id, ['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" a; echo done >&2']);
    expect(r.status).toBe(200);
    expect(r.json.exitCode).toBe(0);
    expect(r.json.truncated).toBe(true);
    expect(r.json.stdout.length).toBeGreaterThan(0);
    expect(r.json.stdout.length).toBeLessThan(3_000_000);
    expect(/^a+$/.test(r.json.stdout)).toBe(true);
    expect(r.json.stderr).toBe('done\n');
  });

  it('times out: sleep 30 with timeoutMs 500 is killed and answers within 5 s', async () => {
    const t0 = performance.now();
    const r = await b.exec(id, ['sleep', '30'], { timeoutMs: 500 });
    const ms = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(ms).toBeLessThan(5000);
    expect(ms).toBeGreaterThanOrEqual(450);
    // The process group is gone, not left running.
    const ps = await b.exec(id, ['sh', '-c', 'ps -eo args 2>/dev/null || ls /proc']);
    expect(ps.json.stdout).not.toMatch(/sleep 30/);
  });
});

describe('streamed exec (SSE)', () => {
  it('sends stdout/stderr chunks then exit, bytes exact including newlines', async () => {
    const res = await stream({
      cmd: ['sh', '-c', 'printf "a\\n\\nb"; printf "err\\n" >&2; printf "\\nc\\n"; exit 4'],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = decoded(await readSse(res));
    const last = events[events.length - 1]!;
    expect(last.event).toBe('exit');
    expect(last.data).toMatchObject({ exitCode: 4, timedOut: false });
    expect(typeof (last.data as { durationMs: unknown }).durationMs).toBe('number');
    const body = events.slice(0, -1);
    expect(body.every((e) => e.event === 'stdout' || e.event === 'stderr')).toBe(true);
    expect(body.every((e) => typeof e.data === 'string')).toBe(true);
    const join = (kind: string) =>
      body
        .filter((e) => e.event === kind)
        .map((e) => e.data as string)
        .join('');
    expect(join('stdout')).toBe('a\n\nb\nc\n');
    expect(join('stderr')).toBe('err\n');
    expect(events.filter((e) => e.event === 'exit')).toHaveLength(1);
  });

  it('streams live: the first chunk arrives before the command ends', async () => {
    const t0 = performance.now();
    const res = await stream({ cmd: ['sh', '-c', 'echo first; sleep 1; echo second'] });
    const events = decoded(await readSse(res));
    const total = performance.now() - t0;
    const out = events.filter((e) => e.event === 'stdout');
    expect(out.map((e) => e.data).join('')).toBe('first\nsecond\n');
    const first = out.find((e) => (e.data as string).includes('first'))!;
    const second = out.find((e) => (e.data as string).includes('second'))!;
    const exit = events.find((e) => e.event === 'exit')!;
    expect(first).not.toBe(second); // two chunks, not one buffered blob
    // `first` was relayed while `sleep 1` ran: it arrived well before `second` and the exit.
    expect(second.at - first.at).toBeGreaterThan(700);
    expect(exit.at - first.at).toBeGreaterThan(700);
    expect(exit.data).toMatchObject({ exitCode: 0, timedOut: false });
    expect(total).toBeGreaterThanOrEqual(1000);
  });

  it('a client that goes away takes its command with it', async () => {
    const controller = new AbortController();
    const res = await b.fetch('POST', `/v1/workspaces/${id}/exec`, {
      body: { cmd: ['sh', '-c', 'echo started; sleep 2; touch /workspace/after-disconnect'] },
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the command runs
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await b.exec(id, ['test', '-e', '/workspace/after-disconnect'])).json.exitCode).not.toBe(0);
  });

  it('reports a timeout in the exit event', async () => {
    const t0 = performance.now();
    const events = decoded(await readSse(await stream({ cmd: ['sleep', '30'], timeoutMs: 500 })));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(events.map((e) => e.event)).toEqual(['exit']);
    expect(events[0]!.data).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
  });

  it('keeps multi-byte characters whole and large output complete', async () => {
    const res = await stream({
      cmd: ['python3', '-c', 'import sys\nfor i in range(20000): sys.stdout.write("%05d é中\\n" % i)'],
    });
    const events = decoded(await readSse(res));
    const text = events
      .filter((e) => e.event === 'stdout')
      .map((e) => e.data as string)
      .join('');
    const expected = Array.from({ length: 20000 }, (_, i) => `${String(i).padStart(5, '0')} é中\n`).join('');
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
    expect(text).not.toContain('\ufffd');
  });
});

describe('binary exec', () => {
  it('returns stdout byte-exact with X-Exit-Code (100 KiB of random bytes via PUT files, then cat)', async () => {
    const data = randomBytes(100 * 1024);
    const put = await b.api('PUT', `/v1/workspaces/${id}/files?path=bin/random.bin`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(204);
    const r = await b.api('POST', `/v1/workspaces/${id}/exec/binary`, {
      body: { cmd: ['cat', 'bin/random.bin'] },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.headers.get('x-exit-code')).toBe('0');
    expect(r.bytes.length).toBe(data.length);
    expect(createHash('sha256').update(r.bytes).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
    expect(r.bytes.equals(data)).toBe(true);
  });

  it('carries a non-zero exit code and exact bytes of every value', async () => {
    const r = await b.api('POST', `/v1/workspaces/${id}/exec/binary`, {
      body: { cmd: ['python3', '-c', 'import sys; sys.stdout.buffer.write(bytes(range(256))); sys.exit(5)'] },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-exit-code')).toBe('5');
    expect(r.bytes.equals(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(true);
  });
});

import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  processGone,
  sleep,
  startTestAgent,
  type TestAgent,
  LAUNCHERS,
  requireSpawner,
  WITH_SPAWNER,
} from './helpers.js';

describe.each(LAUNCHERS)('POST /exec ($name)', ({ name, config }) => {
  let t: TestAgent;
  beforeAll(async () => {
    if (name === 'berth-spawner') requireSpawner();
    t = await startTestAgent({ ...config, proxyUrl: 'http://127.0.0.1:3128' });
  });
  afterAll(() => t.stop());

  const exec = (body: object) => t.call('POST', '/exec', { body });

  it('runs argv without a shell and returns its output', async () => {
    const r = await exec({ cmd: ['echo', 'hello', '$HOME', '*'] });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({
      exitCode: 0,
      signal: null,
      stdout: 'hello $HOME *\n',
      stderr: '',
      timedOut: false,
      truncated: false,
    });
    expect(typeof r.json().durationMs).toBe('number');
  });

  it('reports a non-zero exit code and stderr', async () => {
    const r = await exec({ cmd: ['sh', '-c', 'echo oops >&2; exit 3'] });
    expect(r.json()).toMatchObject({ exitCode: 3, stderr: 'oops\n', stdout: '' });
  });

  it('reports a signal death', async () => {
    const r = await exec({ cmd: ['sh', '-c', 'kill -TERM $$'] });
    expect(r.json()).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false });
  });

  it('feeds stdin and closes it', async () => {
    const r = await exec({ cmd: ['cat'], stdin: 'line 1\nline 2\n' });
    expect(r.json().stdout).toBe('line 1\nline 2\n');
    // Without stdin the child sees EOF at once instead of hanging.
    const none = await exec({ cmd: ['cat'], timeoutMs: 5000 });
    expect(none.json()).toMatchObject({ stdout: '', exitCode: 0, timedOut: false });
  });

  it('uses env and cwd (relative or absolute under the root)', async () => {
    await mkdir(join(t.root, 'sub/dir'), { recursive: true });
    const r = await exec({ cmd: ['sh', '-c', 'echo "$FOO"; pwd'], env: { FOO: 'bar baz' }, cwd: 'sub/dir' });
    expect(r.json().stdout).toBe(`bar baz\n${join(t.realRoot, 'sub/dir')}\n`);
    const abs = await exec({ cmd: ['pwd'], cwd: join(t.root, 'sub') });
    expect(abs.json().stdout).toBe(`${join(t.realRoot, 'sub')}\n`);
    const dflt = await exec({ cmd: ['pwd'] });
    expect(dflt.json().stdout).toBe(`${t.realRoot}\n`);
  });

  it('gives children a minimal environment: no agent variables, HOME, LANG and proxy settings', async () => {
    const probe = 'agent-env-probe-0123456789';
    process.env.AGENT_PROBE = probe; // anything in the agent's own env must not leak
    try {
      const r = await exec({ cmd: ['env'], env: { EXTRA: '1' } });
      const env = Object.fromEntries(
        (r.json().stdout as string)
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(r.json().stdout).not.toContain(probe);
      expect(env).toMatchObject({
        HOME: t.config.childHome,
        LANG: 'C.UTF-8',
        EXTRA: '1',
        HTTP_PROXY: 'http://127.0.0.1:3128',
        https_proxy: 'http://127.0.0.1:3128',
        NO_PROXY: 'localhost,127.0.0.1',
      });
      expect(env.PATH).toBeTruthy();
      expect(Object.keys(env).filter((k) => k.startsWith('AGENT_'))).toEqual([]);
    } finally {
      delete process.env.AGENT_PROBE;
    }
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const started = Date.now();
    const r = await exec({ cmd: ['sh', '-c', 'sleep 100 & echo $! > bg.pid; sleep 100'], timeoutMs: 500 });
    const elapsed = Date.now() - started;
    expect(r.json()).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1500);
    const pid = Number(await readFile(join(t.root, 'bg.pid'), 'utf8'));
    expect(pid).toBeGreaterThan(0);
    let gone = false;
    for (let i = 0; i < 20 && !gone; i++) {
      gone = await processGone(pid);
      if (!gone) await sleep(50);
    }
    expect(gone).toBe(true);
  });

  it('does not hang past the timeout when an escaped process holds the pipes', async () => {
    const started = Date.now();
    const r = await exec({ cmd: ['sh', '-c', 'setsid sleep 5 & echo x'], timeoutMs: 300 });
    expect(r.json()).toMatchObject({ timedOut: true, stdout: 'x\n' });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('answers 127 for a command that does not exist, 126 for one that is not executable', async () => {
    const r = await exec({ cmd: ['no-such-command-xyz', 'a'] });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ exitCode: 127, signal: null, stdout: '' });
    expect(r.json().stderr).toContain('command not found');
    await writeFile(join(t.root, 'notexec.sh'), 'echo hi\n', { mode: 0o644 });
    const r2 = await exec({ cmd: ['./notexec.sh'] });
    // root ignores the mode bits for reading but not for exec without any x bit.
    expect(r2.json().exitCode).toBe(126);
  });

  it('runs an executable script without #! with /bin/sh, and finds commands on the PATH it is given', async () => {
    await writeFile(join(t.root, 'plain.sh'), 'echo "plain $1"\n', { mode: 0o755 });
    expect((await exec({ cmd: ['./plain.sh', 'ok'] })).json()).toMatchObject({
      exitCode: 0,
      stdout: 'plain ok\n',
    });
    await mkdir(join(t.root, 'tools'), { recursive: true });
    await writeFile(join(t.root, 'tools', 'mytool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
    const r = await exec({
      cmd: ['mytool'],
      env: { PATH: `${await realpath(join(t.root, 'tools'))}:/usr/bin:/bin` },
    });
    expect(r.json()).toMatchObject({ exitCode: 0, stdout: 'tool\n' });
  });

  it('keeps the output of concurrent commands apart', async () => {
    const runs = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        exec({
          cmd: [
            'sh',
            '-c',
            `head -c 20000 /dev/zero | tr '\\0' ${String.fromCharCode(97 + i)}; echo e${i} >&2; exit ${i}`,
          ],
        }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.json()).toMatchObject({ exitCode: i, stderr: `e${i}\n` });
      expect(r.json().stdout).toBe(String.fromCharCode(97 + i).repeat(20000));
    });
  });

  it('truncates output beyond the cap', async () => {
    const r = await exec({
      cmd: ['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a; echo err >&2'],
      maxOutputBytes: 1000,
    });
    expect(r.json()).toMatchObject({ exitCode: 0, truncated: true, stderr: 'err\n' });
    expect(r.json().stdout).toBe('a'.repeat(1000));
    const under = await exec({ cmd: ['printf', 'abc'], maxOutputBytes: 3 });
    expect(under.json()).toMatchObject({ stdout: 'abc', truncated: false });
  });

  it('applies AGENT_MAX_OUTPUT_BYTES as the default cap', async () => {
    const small = await startTestAgent({ maxOutputBytes: 10 });
    try {
      const r = await small.call('POST', '/exec', { body: { cmd: ['printf', '0123456789ABC'] } });
      expect(r.json()).toMatchObject({ stdout: '0123456789', truncated: true });
    } finally {
      await small.stop();
    }
  });

  it('validates the request strictly', async () => {
    const bad: object[] = [
      {},
      { cmd: 'echo hi' },
      { cmd: [] },
      { cmd: [1, 2] },
      { cmd: ['echo', null] },
      { cmd: [''] },
      { cmd: ['echo', 'a\0b'] },
      { cmd: ['true'], timeoutMs: 0 },
      { cmd: ['true'], timeoutMs: 900_001 },
      { cmd: ['true'], timeoutMs: 1.5 },
      { cmd: ['true'], timeoutMs: '100' },
      { cmd: ['true'], env: { A: 1 } },
      { cmd: ['true'], env: ['A=1'] },
      { cmd: ['true'], env: { 'A=B': 'x' } },
      { cmd: ['true'], stdin: 5 },
      { cmd: ['true'], maxOutputBytes: 0 },
      { cmd: ['true'], cwd: 5 },
      { cmd: ['true'], timeout: 5 },
    ];
    for (const body of bad) {
      const r = await exec(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().error.code).toBe('invalid_request');
    }
  });

  it('confines cwd to the workspace', async () => {
    for (const cwd of ['..', '/etc', 'missing-dir', 'notexec.sh']) {
      const r = await exec({ cmd: ['pwd'], cwd });
      expect(r.status, cwd).toBe(400);
      expect(r.json().error.code).toBe('invalid_path');
    }
  });

  it('kills the command when the client goes away', async () => {
    const { response, abort } = t.open('POST', '/exec', {
      body: { cmd: ['sh', '-c', 'echo $$ > gone.pid; exec sleep 100'] },
    });
    response.catch(() => {}); // the aborted request rejects
    // The response only comes at the end, so wait for the pid file instead.
    const pidFile = join(t.root, 'gone.pid');
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
      if (!pid) await sleep(20);
    }
    expect(pid).toBeGreaterThan(0);
    abort();
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) {
      gone = await processGone(pid);
      if (!gone) await sleep(50);
    }
    expect(gone).toBe(true);
    expect(await realpath(t.root)).toBe(t.realRoot);
  });
});

describe('berth-spawner', () => {
  let t: TestAgent;
  beforeAll(async () => {
    requireSpawner();
    t = await startTestAgent(WITH_SPAWNER);
  });
  afterAll(() => t.stop());

  // Commands run as the agent's uid, so one can kill the helper that started it.
  it('survives being killed: the running command ends as killed, the next one runs', async () => {
    const exec = (body: object) => t.call('POST', '/exec', { body });
    const r = await exec({ cmd: ['sh', '-c', 'kill -9 $PPID; sleep 5; echo survived'], timeoutMs: 10_000 });
    expect(r.json()).toMatchObject({ exitCode: null, signal: 'SIGKILL', stdout: '' });
    expect((await exec({ cmd: ['echo', 'next'] })).json()).toMatchObject({ exitCode: 0, stdout: 'next\n' });
  });
});

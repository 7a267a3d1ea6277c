import { describe, expect, it } from 'vitest';
import { API_KEY, routes, runCli, sse, useFakeBerth } from './support/run-cli.js';
import { sseHead } from '../../sdk/test/support/fake-berth.js';

// `berth exec`: a streamed exec, its output split as the command wrote it, and its exit code.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });
const exit = (over: Record<string, unknown>) => ({
  exitCode: 0,
  signal: null,
  durationMs: 5,
  timedOut: false,
  ...over,
});

function execWith(events: [string, unknown][]) {
  fake.handle(
    routes({
      'POST /v1/workspaces/ws_1/exec': (_req, res) => sse(res, events),
    }),
  );
}
const execRequest = () => fake.requests.find((q) => q.path.endsWith('/exec'))!;

describe('exec', () => {
  it('stdout and stderr to their own streams, the exit code as its own; the command after -- untouched', async () => {
    execWith([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', 'more'],
      ['exit', exit({ exitCode: 3 })],
    ]);
    const r = await runCli(
      [
        'exec',
        'ws_1',
        '--cwd',
        'src',
        '--env',
        'A=1',
        '--env',
        'B=x=y',
        '--timeout',
        '5000',
        '--',
        'sh',
        '-c',
        'x --json',
      ],
      { env: env() },
    );
    expect(r).toMatchObject({ code: 3, stdout: 'out\nmore', stderr: 'err\n' });
    expect(execRequest().headers.accept).toContain('text/event-stream');
    expect(execRequest().json).toEqual({
      cmd: ['sh', '-c', 'x --json'],
      cwd: 'src',
      env: { A: '1', B: 'x=y' },
      timeoutMs: 5000,
    });
  });

  it('without --, the words after the id are the command; piped stdin is sent', async () => {
    execWith([['exit', exit({})]]);
    const r = await runCli(['exec', 'ws_1', 'wc', 'l'], { env: env(), stdin: 'a\nb\n' });
    expect(r.code).toBe(0);
    expect(execRequest().json).toEqual({ cmd: ['wc', 'l'], stdin: 'a\nb\n' });
    await runCli(['exec', 'ws_1', '--no-stdin', '--', 'cat'], { env: env(), stdin: 'ignored' });
    expect(fake.requests.filter((q) => q.path.endsWith('/exec')).at(-1)!.json).toEqual({ cmd: ['cat'] });
  });

  it('a timeout exits 124, a signal 128+n (SIGKILL 137), each with a note', async () => {
    execWith([['exit', exit({ exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: 1000 })]]);
    expect(await runCli(['exec', 'ws_1', '--', 'sleep', '9'], { env: env() })).toMatchObject({
      code: 124,
      stderr: 'berth: the command timed out after 1000 ms\n',
    });
    execWith([['exit', exit({ exitCode: null, signal: 'SIGKILL' })]]);
    expect(await runCli(['exec', 'ws_1', '--', 'x'], { env: env() })).toMatchObject({
      code: 137,
      stderr: 'berth: the command was killed by SIGKILL\n',
    });
    execWith([['exit', exit({ exitCode: null, signal: 'SIGTERM' })]]);
    expect((await runCli(['exec', 'ws_1', '--', 'x'], { env: env() })).code).toBe(143);
  });

  it('--json: one event per line', async () => {
    execWith([
      ['stdout', 'a'],
      ['exit', exit({ exitCode: 2 })],
    ]);
    const r = await runCli(['--json', 'exec', 'ws_1', '--', 'x'], { env: env() });
    expect(r.code).toBe(2);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { event: 'stdout', data: 'a' },
      { event: 'exit', data: exit({ exitCode: 2 }) },
    ]);
  });

  it('Ctrl-C closes the stream (which ends the command) and exits 130', async () => {
    let closed: Promise<void> | undefined;
    fake.handle(
      routes({
        'POST /v1/workspaces/ws_1/exec': (req, res) => {
          closed = req.aborted;
          sseHead(res);
          res.write(`event: stdout\ndata: "started\\n"\n\n`); // then nothing: a long command
        },
      }),
    );
    const r = await runCli(['exec', 'ws_1', '--', 'sleep', '60'], {
      env: env(),
      onInterruptable: (interrupt) => setTimeout(interrupt, 200),
    });
    expect(r).toMatchObject({ code: 130, stdout: 'started\n', stderr: 'berth: interrupted\n' });
    await closed;
  });

  it('an unknown workspace: the API error, nothing run', async () => {
    fake.handle(routes({}));
    const r = await runCli(['exec', 'ws_nope', '--', 'ls'], { env: env() });
    expect(r.code).toBe(1);
    // The exec itself is the one request (no lookup first), so its 404 is what is reported.
    expect(r.stderr).toBe('berth: not_found: no route POST /v1/workspaces/ws_nope/exec (request r404)\n');
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/workspaces/ws_nope/exec']);
  });

  it('one request: the exec, with no GET of the workspace first', async () => {
    execWith([['exit', exit({})]]);
    expect((await runCli(['exec', 'ws_1', '--no-stdin', '--', 'true'], { env: env() })).code).toBe(0);
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/workspaces/ws_1/exec']);
  });
});

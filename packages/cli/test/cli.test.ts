import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { API_KEY, apiError, json, runCli, useFakeBerth, view } from './support/run-cli.js';

// Parsing, help, configuration and error reporting of `main`, against a real loopback HTTP server.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });

describe('help and usage', () => {
  it('`help` and `--help` print every command to stdout and exit 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const r = await runCli(argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const name of ['ws create', 'ws ls', 'exec', 'cp', 'agent', 'pool', 'health', 'local up'])
        expect(r.stdout).toContain(`  ${name} `);
    }
  });

  it('a command with --help prints its usage', async () => {
    const r = await runCli(['ws', 'create', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: berth ws create <conversationId> \[--template t\]/);
  });

  it('no command or an unknown one: exit 2 with the help on stderr, nothing sent', async () => {
    const none = await runCli([], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^berth: missing command\n/);
    const bad = await runCli(['ws', 'frob'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^berth: unknown command "ws frob"\n/);
    expect(bad.stdout).toBe('');
    expect(fake.requests).toEqual([]);
  });

  it.each([
    [['ws', 'create'], 'missing <conversationId>'],
    [['ws', 'create', 'c1', 'c2'], 'unexpected argument "c2"'],
    [['ws', 'create', 'c1', '--ttl', 'soon'], '--ttl must be a positive integer, got "soon"'],
    [['ws', 'create', 'c1', '--label', 'novalue'], '--label takes KEY=VALUE, got "novalue"'],
    [['ws', 'ls', '--frob'], "Unknown option '--frob'"],
    [['ws', 'get'], 'missing <id>'],
    [['exec', 'ws_1'], 'missing <cmd>'],
    [['exec', 'ws_1', 'x', '--', 'ls'], 'unexpected argument "x" before --'],
    [['exec', 'ws_1', '--timeout', '-5', '--', 'ls'], "Option '--timeout' argument is ambiguous"],
    [['cp', 'a', 'b'], 'one side must be <id>:<path> in a workspace'],
    [['cp', 'ws_1:a', 'ws_2:b'], 'one side must be a local path'],
    [['agent', 'ws_1'], 'missing <prompt>'],
  ])('%j is a usage error: exit 2, the message and the usage line', async (argv, message) => {
    const r = await runCli(argv, { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`berth: ${message}`);
    expect(r.stderr).toContain('\nusage: berth ');
    expect(fake.requests).toEqual([]);
  });
});

describe('configuration', () => {
  const seen = () => fake.requests.map((r) => r.headers.authorization);

  it('the key: --key, else BERTH_API_KEY, else $BERTH_STATE_DIR/api-key (default .berth/api-key)', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    await mkdir(join(dir, '.berth'));
    await writeFile(join(dir, '.berth', 'api-key'), 'from-file\n');
    await mkdir(join(dir, 'state'));
    await writeFile(join(dir, 'state', 'api-key'), 'from-state-dir\n');
    const get = ['ws', 'get', 'ws_1'];
    const url = fake.url;
    expect(
      (
        await runCli([...get, '--key', 'from-flag'], {
          env: { BERTH_URL: url, BERTH_API_KEY: 'from-env' },
          cwd: dir,
        })
      ).code,
    ).toBe(0);
    await runCli(get, { env: { BERTH_URL: url, BERTH_API_KEY: 'from-env' }, cwd: dir });
    await runCli(get, { env: { BERTH_URL: url }, cwd: dir });
    await runCli(get, { env: { BERTH_URL: url, BERTH_STATE_DIR: 'state' }, cwd: dir });
    expect(seen()).toEqual([
      'Bearer from-flag',
      'Bearer from-env',
      'Bearer from-file',
      'Bearer from-state-dir',
    ]);
  });

  it('no key anywhere: exit 1 with how to get one; health needs none', async () => {
    const r = await runCli(['ws', 'ls'], { env: { BERTH_URL: fake.url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^berth: no API key: set BERTH_API_KEY, pass --key/);
    fake.handle((_req, res) =>
      json(res, 200, { status: 'ok', components: { store: 'ok', runtime: 'ok', blobs: 'ok' } }),
    );
    expect((await runCli(['health'], { env: { BERTH_URL: fake.url } })).code).toBe(0);
  });

  it('the URL: --url (before or after the command) over BERTH_URL', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    const envUrl = { BERTH_URL: 'http://127.0.0.1:9', BERTH_API_KEY: API_KEY };
    expect((await runCli(['ws', 'get', 'ws_1', '--url', fake.url], { env: envUrl })).code).toBe(0);
    expect((await runCli(['--url', fake.url, '--json', 'ws', 'get', 'ws_1'], { env: envUrl })).code).toBe(0);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('errors', () => {
  it('an API error: `berth: <code>: <message> (request <id>)` on stderr, exit 1', async () => {
    fake.handle((_req, res) => apiError(res, 404, 'not_found', { requestId: 'req-42' }));
    const r = await runCli(['ws', 'get', 'ws_x'], { env: env() });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stdoutBytes: Buffer.alloc(0),
      stderr: 'berth: not_found: not_found happened (request req-42)\n',
    });
  });

  it('no answer: the URL and the reason, exit 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['ws', 'ls'], { env: { BERTH_URL: url, BERTH_API_KEY: 'k' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^berth: ${url}: .*ECONNREFUSED`));
  });
});

describe('local up', () => {
  it('outside a checkout it says to clone the repository', async () => {
    const r = await runCli(['local', 'up'], { cwd: await mkdtemp(join(tmpdir(), 'berth-cli-')) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^berth: local up works in a checkout of Berth: clone the repository/);
  });
});

describe('health', () => {
  it('health: one line; degraded exits 1', async () => {
    fake.handle((_req, res) =>
      json(res, 503, { status: 'degraded', components: { store: 'ok', runtime: 'error', blobs: 'ok' } }),
    );
    const r = await runCli(['health'], { env: env() });
    expect(r).toMatchObject({ code: 1, stdout: 'degraded (store ok, runtime error, blobs ok)\n' });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { AGENT_KEYS, agentToken } from './helpers.js';

// The entry point as the image runs it, through tsx so no build step is needed first.
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKSPACE_ID = 'ws_main';
/** What every agent here needs: whose tokens to take and the key they are signed with. */
const AUTH_ENV = {
  AGENT_WORKSPACE_ID: WORKSPACE_ID,
  AGENT_TOKEN_PUBLIC_KEY: agentPublicKeyText(AGENT_KEYS.publicKey),
};
const token = () => agentToken({ workspaceId: WORKSPACE_ID });

function run(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Resolves with the parsed "listening" line. */
function listening(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('close', (code) => reject(new Error(`agent exited with ${code} before listening`)));
  });
}

function get(
  target: { socketPath: string } | { host: string; port: number },
  path: string,
  opts: { method?: string; body?: string; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body) headers['content-type'] = 'application/json';
    const req = request({ ...target, path, method: opts.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('main (the process the image runs)', () => {
  let dir: string;
  let ws: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-main-'));
    ws = join(dir, 'ws');
    await mkdir(ws);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    [{}, 'AGENT_WORKSPACE_ID'],
    [{ ...AUTH_ENV, AGENT_WORKSPACE_ID: 'ws/main' }, 'AGENT_WORKSPACE_ID'],
    [{ AGENT_WORKSPACE_ID: WORKSPACE_ID }, 'AGENT_TOKEN_PUBLIC_KEY'],
    [{ ...AUTH_ENV, AGENT_TOKEN_PUBLIC_KEY: 'not-a-key' }, 'AGENT_TOKEN_PUBLIC_KEY'],
    [{ ...AUTH_ENV, AGENT_LISTEN_MODE: 'carrier-pigeon' }, 'AGENT_LISTEN_MODE'],
  ])('exits 1 with a clear message on bad config %j', async (env, mentions) => {
    const { code, stderr } = await exitOf(run(env as Record<string, string>));
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration');
    expect(stderr).toContain(mentions);
    expect(stderr).not.toContain('    at '); // a message, not a stack trace
  });

  it('exits 1 when the workspace directory is missing', async () => {
    const { code, stderr } = await exitOf(
      run({ ...AUTH_ENV, AGENT_SOCKET: join(dir, 'x.sock'), AGENT_WORKSPACE_DIR: join(dir, 'nope') }),
    );
    expect(code).toBe(1);
    expect(stderr).toContain('workspace directory');
  });

  it('serves on a Unix socket (stale socket replaced, mode 0666), takes only its own tokens, stops on SIGTERM', async () => {
    const socketPath = join(dir, 'agent.sock');
    // A socket file left behind by a previous run that died.
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.exit(0))`,
    ]);
    expect((await lstat(socketPath)).isSocket()).toBe(true);

    const child = run({
      ...AUTH_ENV,
      AGENT_SOCKET: socketPath,
      AGENT_WORKSPACE_DIR: ws,
      AGENT_CHILD_HOME: join(dir, 'home'),
    });
    const exited = exitOf(child);
    const line = await listening(child);
    expect(line).toMatchObject({ msg: 'listening', mode: 'uds', address: socketPath });
    expect(typeof line.startupMs).toBe('number');
    expect((await lstat(socketPath)).mode & 0o777).toBe(0o666);

    const health = await get({ socketPath }, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect((await get({ socketPath }, '/files')).status).toBe(401);
    const elsewhere = agentToken({ workspaceId: 'ws_other' });
    expect((await get({ socketPath }, '/files', { token: elsewhere })).status).toBe(401);
    expect((await get({ socketPath }, '/files', { token: token() })).status).toBe(200);

    const env = await get({ socketPath }, '/exec', {
      method: 'POST',
      token: token(),
      body: JSON.stringify({ cmd: ['env'] }),
    });
    expect(env.status).toBe(200);
    expect(JSON.parse(env.body).stdout).not.toContain('AGENT_');

    child.kill('SIGTERM');
    const { code } = await exited;
    expect(code).toBe(0);
    await expect(lstat(socketPath)).rejects.toThrow();
  });

  it('serves over TCP in http mode', async () => {
    const child = run({
      ...AUTH_ENV,
      AGENT_LISTEN_MODE: 'http',
      AGENT_PORT: '0',
      AGENT_HOST: '127.0.0.1',
      AGENT_WORKSPACE_DIR: ws,
    });
    const exited = exitOf(child);
    try {
      const line = await listening(child);
      const port = Number(String(line.address).split(':').at(-1));
      expect(port).toBeGreaterThan(0);
      expect((await get({ host: '127.0.0.1', port }, '/health')).status).toBe(200);
      const r = await get({ host: '127.0.0.1', port }, '/exec', {
        method: 'POST',
        token: token(),
        body: JSON.stringify({ cmd: ['echo', 'over tcp'] }),
      });
      expect(JSON.parse(r.body).stdout).toBe('over tcp\n');
    } finally {
      child.kill('SIGTERM');
      expect((await exited).code).toBe(0);
    }
  });
});

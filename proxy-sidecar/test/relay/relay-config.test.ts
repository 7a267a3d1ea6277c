import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { describe, expect, it } from 'vitest';
import { loadRelayConfigFromEnv, ProxyConfigError } from '../../src/index.js';
import { admin } from '../helpers/admin.js';
import { TSX_ARGS } from '../helpers/child-proxy.js';
import { controlPlaneKeys } from '../helpers/gateway.js';

const RELAY_MAIN = fileURLToPath(new URL('../../src/relay/main.ts', import.meta.url));
const keys = controlPlaneKeys();
const base = {
  PROXY_WORKSPACE_ID: 'ws_1',
  PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
  PROXY_GATEWAY: 'gateway.egress.internal:3128',
};

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadRelayConfigFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyConfigError);
    return (error as ProxyConfigError).issues.map((i) => i.variable);
  }
  throw new Error('expected a ProxyConfigError');
}

describe('loadRelayConfigFromEnv', () => {
  it('applies defaults: the workspace on loopback, the admin API on every address at its port', () => {
    const config = loadRelayConfigFromEnv(base);
    expect(config.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(config.adminListen).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 8081 });
    expect(config.workspaceId).toBe('ws_1');
    expect(agentPublicKeyText(config.tokenPublicKey)).toBe(base.PROXY_TOKEN_PUBLIC_KEY);
    expect(config.gateway).toEqual({ host: 'gateway.egress.internal', port: 3128 });
    expect(config.limits).toEqual({
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 600_000,
    });
    expect(config.socketMode).toBe(0o666);
  });

  it('reads every setting', () => {
    const config = loadRelayConfigFromEnv({
      ...base,
      PROXY_LISTEN: 'unix:/run/ws/proxy.sock',
      PROXY_ADMIN_LISTEN: '[::]:9081',
      PROXY_GATEWAY: '[fd00::1]:3128',
      PROXY_MAX_HEADER_BYTES: '8192',
      PROXY_HEADERS_TIMEOUT_MS: '1000',
      PROXY_CONNECT_TIMEOUT_MS: '2000',
      PROXY_IDLE_TIMEOUT_MS: '3000',
      PROXY_SOCKET_MODE: '0660',
    });
    expect(config.listen).toEqual({ kind: 'unix', path: '/run/ws/proxy.sock' });
    expect(config.adminListen).toEqual({ kind: 'tcp', host: '::', port: 9081 });
    expect(config.gateway).toEqual({ host: 'fd00::1', port: 3128 });
    expect(config.limits).toEqual({
      maxHeaderBytes: 8192,
      headersTimeoutMs: 1000,
      connectTimeoutMs: 2000,
      idleTimeoutMs: 3000,
    });
    expect(config.socketMode).toBe(0o660);
  });

  it('names every missing required variable at once', () => {
    expect(issuesOf({}).sort()).toEqual(['PROXY_GATEWAY', 'PROXY_TOKEN_PUBLIC_KEY', 'PROXY_WORKSPACE_ID']);
  });

  it.each([
    [{ PROXY_WORKSPACE_ID: 'ws 1' }, 'PROXY_WORKSPACE_ID'],
    [{ PROXY_TOKEN_PUBLIC_KEY: 'not-a-key' }, 'PROXY_TOKEN_PUBLIC_KEY'],
    [{ PROXY_TOKEN_PUBLIC_KEY: Buffer.alloc(31).toString('base64url') }, 'PROXY_TOKEN_PUBLIC_KEY'],
    [{ PROXY_GATEWAY: 'gateway.internal' }, 'PROXY_GATEWAY'],
    [{ PROXY_GATEWAY: 'gateway.internal:0' }, 'PROXY_GATEWAY'],
    [{ PROXY_GATEWAY: 'http://gateway.internal:3128' }, 'PROXY_GATEWAY'],
    [{ PROXY_LISTEN: 'localhost' }, 'PROXY_LISTEN'],
    [{ PROXY_ADMIN_LISTEN: '1.2.3.4:99999' }, 'PROXY_ADMIN_LISTEN'],
    [{ PROXY_IDLE_TIMEOUT_MS: '-5' }, 'PROXY_IDLE_TIMEOUT_MS'],
    [{ PROXY_SOCKET_MODE: '999' }, 'PROXY_SOCKET_MODE'],
    // The policy is the gateway's: the sidecar's policy variables mean nothing here, so they are refused.
    [{ PROXY_ALLOW_DOMAINS: 'example.com' }, 'PROXY_ALLOW_DOMAINS'],
    [{ PROXY_ANTHROPIC_API_KEY: 'sk-ant' }, 'PROXY_ANTHROPIC_API_KEY'],
    [{ PROXY_GATEWAYS: 'typo:1' }, 'PROXY_GATEWAYS'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(issuesOf({ ...base, ...(env as Record<string, string>) })).toContain(variable);
  });
});

describe('relay process', () => {
  it('stops at start with exit code 2 and a message naming the bad variable', () => {
    const result = spawnSync(process.execPath, [...TSX_ARGS, RELAY_MAIN], {
      env: { PATH: process.env['PATH'] ?? '', ...base, PROXY_GATEWAY: 'nowhere' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PROXY_GATEWAY: "nowhere" is not host:port/);
    expect(result.stdout).not.toMatch(/relay listening/);
  });

  it('starts, serves its health check and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...TSX_ARGS, RELAY_MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...base,
        PROXY_GATEWAY: '127.0.0.1:9',
        PROXY_LISTEN: '127.0.0.1:0',
        PROXY_ADMIN_LISTEN: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          for (const line of out.split('\n')) {
            if (line.includes('"relay listening"')) resolve(JSON.parse(line) as Record<string, unknown>);
          }
        });
        child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
      });
      expect(listening).toMatchObject({ workspaceId: 'ws_1', gateway: '127.0.0.1:9' });
      const adminPort = Number(String(listening['adminListen']).split(':').pop());
      const health = await admin(adminPort, 'GET', '/health');
      expect(JSON.parse(health.body)).toEqual({ status: 'ok', credential: false });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

import { describe, expect, it } from 'vitest';
import { BUNDLED_SPAWNER } from '../src/config.js';
import { AgentConfigError, loadAgentConfig } from '../src/index.js';
import { requireSpawner } from './helpers.js';

const TOKEN = 'a'.repeat(16);

describe('loadAgentConfig', () => {
  it('has defaults for everything but the token', () => {
    expect(loadAgentConfig({ AGENT_TOKEN: TOKEN, AGENT_SPAWNER: 'node' })).toEqual({
      listenMode: 'uds',
      socketPath: '/run/berth/agent/agent.sock',
      host: '0.0.0.0',
      port: 9000,
      token: TOKEN,
      workspaceDir: '/workspace',
      childHome: '/tmp/home',
      proxySocket: undefined,
      proxyPort: 3128,
      proxyUrl: undefined,
      spawnerPath: undefined,
      anthropicBaseUrl: undefined,
      anthropicApiKey: 'sk-ant-berth-placeholder',
      maxOutputBytes: 1024 * 1024,
    });
  });

  it('starts commands with the bundled berth-spawner when it is there, or the one AGENT_SPAWNER names', () => {
    requireSpawner();
    expect(loadAgentConfig({ AGENT_TOKEN: TOKEN }).spawnerPath).toBe(BUNDLED_SPAWNER);
    expect(loadAgentConfig({ AGENT_TOKEN: TOKEN, AGENT_SPAWNER: process.execPath }).spawnerPath).toBe(
      process.execPath,
    );
    expect(loadAgentConfig({ AGENT_TOKEN: TOKEN, AGENT_SPAWNER: 'node' }).spawnerPath).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = loadAgentConfig({
      AGENT_TOKEN: TOKEN,
      AGENT_LISTEN_MODE: 'http',
      AGENT_PORT: '9100',
      AGENT_SOCKET: '/s.sock',
      AGENT_WORKSPACE_DIR: '/w',
      AGENT_PROXY_SOCKET: '/run/berth/host/proxy.sock',
      AGENT_MAX_OUTPUT_BYTES: '2048',
      AGENT_ANTHROPIC_BASE_URL: 'http://api.anthropic.com',
      AGENT_ANTHROPIC_API_KEY: 'sk-other-placeholder',
    });
    expect(c).toMatchObject({
      listenMode: 'http',
      port: 9100,
      socketPath: '/s.sock',
      workspaceDir: '/w',
      proxySocket: '/run/berth/host/proxy.sock',
      proxyUrl: 'http://127.0.0.1:3128',
      maxOutputBytes: 2048,
      anthropicBaseUrl: 'http://api.anthropic.com',
      anthropicApiKey: 'sk-other-placeholder',
    });
    expect(loadAgentConfig({ AGENT_TOKEN: TOKEN, AGENT_PROXY_URL: 'http://localhost:8080' }).proxyUrl).toBe(
      'http://localhost:8080',
    );
  });

  it('reads the token from AGENT_TOKEN_FILE when AGENT_TOKEN is unset', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(await mkdtemp(join(tmpdir(), 'berth-cfg-')), 'token');
    await writeFile(file, `${TOKEN}\n`);
    expect(loadAgentConfig({ AGENT_TOKEN_FILE: file })).toMatchObject({ token: TOKEN, tokenFile: file });
    expect(() => loadAgentConfig({ AGENT_TOKEN_FILE: `${file}.missing` })).toThrow(/AGENT_TOKEN_FILE/);
  });

  it.each([
    [{}, /AGENT_TOKEN/],
    [{ AGENT_TOKEN: 'short' }, /AGENT_TOKEN/],
    [{ AGENT_TOKEN: TOKEN, AGENT_LISTEN_MODE: 'tcp' }, /AGENT_LISTEN_MODE/],
    [{ AGENT_TOKEN: TOKEN, AGENT_PORT: 'abc' }, /AGENT_PORT/],
    [{ AGENT_TOKEN: TOKEN, AGENT_PORT: '70000' }, /AGENT_PORT/],
    [{ AGENT_TOKEN: TOKEN, AGENT_MAX_OUTPUT_BYTES: '0' }, /AGENT_MAX_OUTPUT_BYTES/],
    [{ AGENT_TOKEN: TOKEN, AGENT_WORKSPACE_DIR: 'relative' }, /AGENT_WORKSPACE_DIR/],
    [{ AGENT_TOKEN: TOKEN, AGENT_PROXY_URL: 'socks://x' }, /AGENT_PROXY_URL/],
    [{ AGENT_TOKEN: TOKEN, AGENT_ANTHROPIC_BASE_URL: 'api.anthropic.com' }, /AGENT_ANTHROPIC_BASE_URL/],
    [{ AGENT_TOKEN: TOKEN, AGENT_SPAWNER: '/nonexistent/berth-spawner' }, /AGENT_SPAWNER/],
  ])('refuses %j', (env, message) => {
    expect(() => loadAgentConfig(env)).toThrow(AgentConfigError);
    expect(() => loadAgentConfig(env)).toThrow(message);
  });
});

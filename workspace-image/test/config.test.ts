import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { BUNDLED_SPAWNER } from '../src/config.js';
import { AgentConfigError, loadAgentConfig } from '../src/index.js';
import { requireSpawner } from './helpers.js';

const { publicKey } = generateKeyPairSync('ed25519');
const KEY = agentPublicKeyText(publicKey);
/** The two variables without a default. */
const BASE = { AGENT_WORKSPACE_ID: 'ws_1', AGENT_TOKEN_PUBLIC_KEY: KEY };

describe('loadAgentConfig', () => {
  it('has defaults for everything but the workspace id and the token public key', () => {
    const c = loadAgentConfig({ ...BASE, AGENT_SPAWNER: 'node' });
    expect(c).toEqual({
      listenMode: 'uds',
      socketPath: '/run/berth/agent/agent.sock',
      host: '0.0.0.0',
      port: 9000,
      workspaceId: 'ws_1',
      tokenPublicKey: expect.any(KeyObject),
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
    expect(c.tokenPublicKey.equals(publicKey)).toBe(true);
  });

  it('takes workspace ids of 1 to 128 letters, digits, _ and -, and the key with surrounding whitespace', () => {
    const id = `A-z_0${'9'.repeat(123)}`;
    expect(loadAgentConfig({ ...BASE, AGENT_WORKSPACE_ID: id }).workspaceId).toBe(id);
    expect(loadAgentConfig({ ...BASE, AGENT_WORKSPACE_ID: 'w' }).workspaceId).toBe('w');
    const c = loadAgentConfig({ ...BASE, AGENT_TOKEN_PUBLIC_KEY: ` ${KEY}\n` });
    expect(c.tokenPublicKey.equals(publicKey)).toBe(true);
  });

  it('starts commands with the bundled berth-spawner when it is there, or the one AGENT_SPAWNER names', () => {
    requireSpawner();
    expect(loadAgentConfig(BASE).spawnerPath).toBe(BUNDLED_SPAWNER);
    expect(loadAgentConfig({ ...BASE, AGENT_SPAWNER: process.execPath }).spawnerPath).toBe(process.execPath);
    expect(loadAgentConfig({ ...BASE, AGENT_SPAWNER: 'node' }).spawnerPath).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = loadAgentConfig({
      ...BASE,
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
    expect(loadAgentConfig({ ...BASE, AGENT_PROXY_URL: 'http://localhost:8080' }).proxyUrl).toBe(
      'http://localhost:8080',
    );
  });

  it('reads Bedrock mode: the region, its runtime host in plain HTTP unless a base URL is set, the model', () => {
    const bedrock = { ...BASE, AGENT_BEDROCK_REGION: 'eu-west-1', AGENT_MODEL: 'eu.anthropic.claude-x-v1:0' };
    expect(loadAgentConfig(bedrock)).toMatchObject({
      bedrock: { region: 'eu-west-1', baseUrl: 'http://bedrock-runtime.eu-west-1.amazonaws.com' },
      model: 'eu.anthropic.claude-x-v1:0',
    });
    const other = loadAgentConfig({ ...bedrock, AGENT_BEDROCK_BASE_URL: 'http://bedrock.test:8080' });
    expect(other.bedrock).toEqual({ region: 'eu-west-1', baseUrl: 'http://bedrock.test:8080' });
    expect(loadAgentConfig(BASE).bedrock).toBeUndefined();
    // The model is not Bedrock's alone: it is the default model of Anthropic API runs too.
    expect(loadAgentConfig({ ...BASE, AGENT_MODEL: 'claude-x' }).model).toBe('claude-x');
  });

  it.each([
    [{}, /AGENT_WORKSPACE_ID/],
    [{ AGENT_TOKEN_PUBLIC_KEY: KEY }, /AGENT_WORKSPACE_ID/],
    [{ ...BASE, AGENT_WORKSPACE_ID: '' }, /AGENT_WORKSPACE_ID/],
    [{ ...BASE, AGENT_WORKSPACE_ID: 'a'.repeat(129) }, /AGENT_WORKSPACE_ID/],
    [{ ...BASE, AGENT_WORKSPACE_ID: 'ws 1' }, /AGENT_WORKSPACE_ID/],
    [{ ...BASE, AGENT_WORKSPACE_ID: '../ws' }, /AGENT_WORKSPACE_ID/],
    [{ ...BASE, AGENT_WORKSPACE_ID: 'ws_1\n' }, /AGENT_WORKSPACE_ID/],
    [{ AGENT_WORKSPACE_ID: 'ws_1' }, /AGENT_TOKEN_PUBLIC_KEY/],
    [{ ...BASE, AGENT_TOKEN_PUBLIC_KEY: '' }, /AGENT_TOKEN_PUBLIC_KEY/],
    [{ ...BASE, AGENT_TOKEN_PUBLIC_KEY: KEY.slice(1) }, /AGENT_TOKEN_PUBLIC_KEY/],
    [{ ...BASE, AGENT_TOKEN_PUBLIC_KEY: `${KEY}AA` }, /AGENT_TOKEN_PUBLIC_KEY/],
    [{ ...BASE, AGENT_TOKEN_PUBLIC_KEY: 'a'.repeat(16) }, /AGENT_TOKEN_PUBLIC_KEY/],
    [
      { ...BASE, AGENT_TOKEN_PUBLIC_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      /AGENT_TOKEN_PUBLIC_KEY/,
    ],
    [{ ...BASE, AGENT_LISTEN_MODE: 'tcp' }, /AGENT_LISTEN_MODE/],
    [{ ...BASE, AGENT_PORT: 'abc' }, /AGENT_PORT/],
    [{ ...BASE, AGENT_PORT: '70000' }, /AGENT_PORT/],
    [{ ...BASE, AGENT_MAX_OUTPUT_BYTES: '0' }, /AGENT_MAX_OUTPUT_BYTES/],
    [{ ...BASE, AGENT_WORKSPACE_DIR: 'relative' }, /AGENT_WORKSPACE_DIR/],
    [{ ...BASE, AGENT_PROXY_URL: 'socks://x' }, /AGENT_PROXY_URL/],
    [{ ...BASE, AGENT_ANTHROPIC_BASE_URL: 'api.anthropic.com' }, /AGENT_ANTHROPIC_BASE_URL/],
    [{ ...BASE, AGENT_SPAWNER: '/nonexistent/berth-spawner' }, /AGENT_SPAWNER/],
    [{ ...BASE, AGENT_BEDROCK_REGION: 'us east 1' }, /AGENT_BEDROCK_REGION must be an AWS region/],
    [{ ...BASE, AGENT_BEDROCK_REGION: 'bedrock-runtime.us-east-1' }, /AGENT_BEDROCK_REGION/],
    [{ ...BASE, AGENT_BEDROCK_BASE_URL: 'http://bedrock.test' }, /AGENT_BEDROCK_BASE_URL needs/],
    [
      { ...BASE, AGENT_BEDROCK_REGION: 'us-east-1', AGENT_BEDROCK_BASE_URL: 'bedrock.test' },
      /AGENT_BEDROCK_BASE_URL must be an http/,
    ],
    [
      { ...BASE, AGENT_BEDROCK_REGION: 'us-east-1', AGENT_ANTHROPIC_BASE_URL: 'http://api.anthropic.com' },
      /exclusive/,
    ],
    [{ ...BASE, AGENT_MODEL: 'claude x' }, /AGENT_MODEL/],
    [{ ...BASE, AGENT_MODEL: 'm'.repeat(201) }, /AGENT_MODEL/],
  ])('refuses %j', (env, message) => {
    expect(() => loadAgentConfig(env)).toThrow(AgentConfigError);
    expect(() => loadAgentConfig(env)).toThrow(message);
  });
});

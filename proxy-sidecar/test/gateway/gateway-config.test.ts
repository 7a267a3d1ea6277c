import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { loadGatewayConfigFromEnv } from '../../src/gateway/gateway-config.js';
import { ProxyConfigError, parseDomainList } from '../../src/index.js';
import { TSX_ARGS } from '../helpers/child-proxy.js';
import { controlPlaneKeys } from '../helpers/gateway.js';

const keys = controlPlaneKeys();
const required = {
  PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
  PROXY_POLICY_TABLE: 'berth-prod-Workspaces',
};

function issuesOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadGatewayConfigFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyConfigError);
    return (error as ProxyConfigError).issues;
  }
  throw new Error('expected a ProxyConfigError');
}

describe('loadGatewayConfigFromEnv', () => {
  it('names both required variables when they are missing', () => {
    const issues = issuesOf({});
    expect(issues.map((i) => i.variable).sort()).toEqual(['PROXY_POLICY_TABLE', 'PROXY_TOKEN_PUBLIC_KEY']);
    expect(issues.find((i) => i.variable === 'PROXY_POLICY_TABLE')?.message).toMatch(/is required/);
    expect(issues.find((i) => i.variable === 'PROXY_TOKEN_PUBLIC_KEY')?.message).toMatch(/is required/);
  });

  it('applies defaults', () => {
    const config = loadGatewayConfigFromEnv(required);
    expect(config.listen).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 3128 });
    expect(config.credentialPublicKey.equals(keys.publicKey)).toBe(true);
    expect(config.policyTable).toBe('berth-prod-Workspaces');
    expect(config.policyCache).toEqual({ ttlMs: 1_000 });
    expect(config.basePolicy).toEqual({ allowDomains: [], anthropic: null, bedrock: null, headerRules: [] });
    expect(config.headerRulesUpstreamScheme).toBe('https');
    expect(config.allowLoopback).toBe(false);
    expect(config.testHosts).toBeNull();
    expect(config.limits).toEqual({
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 600_000,
      maxSignedBodyBytes: 32 * 1024 * 1024,
    });
    expect(config.metricsFlushIntervalMs).toBe(10_000);
  });

  it('reads every setting', () => {
    const config = loadGatewayConfigFromEnv({
      ...required,
      PROXY_LISTEN: '127.0.0.1:4000',
      PROXY_POLICY_TTL_MS: '250',
      PROXY_ALLOW_DOMAINS: 'api.anthropic.com,*.pypi.org:443',
      PROXY_ANTHROPIC_API_KEY: 'sk-real',
      PROXY_ANTHROPIC_HOSTS: 'api.anthropic.com,claude.test',
      PROXY_ANTHROPIC_UPSTREAM_SCHEME: 'http',
      PROXY_BEDROCK_REGION: 'eu-west-1',
      PROXY_BEDROCK_UPSTREAM_SCHEME: 'http',
      PROXY_HEADER_RULES_UPSTREAM_SCHEME: 'http',
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_TEST_HOSTS: 'a.test=127.0.0.1',
      PROXY_MAX_HEADER_BYTES: '2048',
      PROXY_HEADERS_TIMEOUT_MS: '1000',
      PROXY_CONNECT_TIMEOUT_MS: '2000',
      PROXY_IDLE_TIMEOUT_MS: '3000',
      PROXY_MAX_SIGNED_BODY_BYTES: '4096',
      PROXY_METRICS_INTERVAL_MS: '5000',
    });
    expect(config.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 4000 });
    expect(config.policyCache).toEqual({ ttlMs: 250 });
    expect(config.basePolicy).toEqual({
      allowDomains: parseDomainList('api.anthropic.com,*.pypi.org:443'),
      anthropic: { apiKey: 'sk-real', hosts: ['api.anthropic.com', 'claude.test'], upstreamScheme: 'http' },
      bedrock: {
        region: 'eu-west-1',
        hosts: ['bedrock-runtime.eu-west-1.amazonaws.com'],
        upstreamScheme: 'http',
      },
      headerRules: [],
    });
    expect(config.headerRulesUpstreamScheme).toBe('http');
    expect(config.allowLoopback).toBe(true);
    expect(config.testHosts).toEqual({ 'a.test': ['127.0.0.1'] });
    expect(config.limits).toEqual({
      maxHeaderBytes: 2048,
      headersTimeoutMs: 1000,
      connectTimeoutMs: 2000,
      idleTimeoutMs: 3000,
      maxSignedBodyBytes: 4096,
    });
    expect(config.metricsFlushIntervalMs).toBe(5000);
  });

  it.each([
    [{ PROXY_TOKEN_PUBLIC_KEY: 'not-a-key' }, 'PROXY_TOKEN_PUBLIC_KEY'],
    [{ PROXY_TOKEN_PUBLIC_KEY: Buffer.alloc(31).toString('base64url') }, 'PROXY_TOKEN_PUBLIC_KEY'],
    [{ PROXY_POLICY_TABLE: 'no spaces allowed' }, 'PROXY_POLICY_TABLE'],
    [{ PROXY_POLICY_TABLE: 'ab' }, 'PROXY_POLICY_TABLE'],
    [{ PROXY_POLICY_TTL_MS: '99' }, 'PROXY_POLICY_TTL_MS'],
    [{ PROXY_POLICY_TTL_MS: '10001' }, 'PROXY_POLICY_TTL_MS'],
    [{ PROXY_POLICY_TTL_MS: '1s' }, 'PROXY_POLICY_TTL_MS'],
    [{ PROXY_LISTEN: 'localhost' }, 'PROXY_LISTEN'],
    [{ PROXY_ALLOW_DOMAINS: 'ok.com,bad domain' }, 'PROXY_ALLOW_DOMAINS'],
    [{ PROXY_ANTHROPIC_HOSTS: 'api.anthropic.com:443' }, 'PROXY_ANTHROPIC_HOSTS'],
    [{ PROXY_ANTHROPIC_UPSTREAM_SCHEME: 'ftp' }, 'PROXY_ANTHROPIC_UPSTREAM_SCHEME'],
    [{ PROXY_BEDROCK_REGION: 'moon' }, 'PROXY_BEDROCK_REGION'],
    [{ PROXY_BEDROCK_HOSTS: 'x.amazonaws.com' }, 'PROXY_BEDROCK_REGION'],
    [{ PROXY_HEADER_RULES_UPSTREAM_SCHEME: 'ws' }, 'PROXY_HEADER_RULES_UPSTREAM_SCHEME'],
    [{ PROXY_ALLOW_LOOPBACK: 'yes' }, 'PROXY_ALLOW_LOOPBACK'],
    [{ PROXY_TEST_HOSTS: 'a.test=not-an-ip' }, 'PROXY_TEST_HOSTS'],
    [{ PROXY_IDLE_TIMEOUT_MS: '-5' }, 'PROXY_IDLE_TIMEOUT_MS'],
    [{ PROXY_MAX_SIGNED_BODY_BYTES: '10' }, 'PROXY_MAX_SIGNED_BODY_BYTES'],
    [{ PROXY_METRICS_INTERVAL_MS: '0' }, 'PROXY_METRICS_INTERVAL_MS'],
    // Settings of the sidecar the gateway does not have: most likely a mistake in the task definition.
    [{ PROXY_WORKSPACE_ID: 'ws_1' }, 'PROXY_WORKSPACE_ID'],
    [{ PROXY_HEADER_RULES: '[]' }, 'PROXY_HEADER_RULES'],
    [{ PROXY_POLICY_TABLES: 't' }, 'PROXY_POLICY_TABLES'],
  ])('refuses %o naming %s', (env, variable) => {
    const issues = issuesOf({ ...required, ...env });
    expect(issues.map((i) => i.variable)).toEqual([variable]);
  });

  it('never puts the API key into an error message', () => {
    const issues = issuesOf({ ...required, PROXY_ANTHROPIC_API_KEY: 'sk-secret', PROXY_POLICY_TTL_MS: 'x' });
    expect(JSON.stringify(issues)).not.toContain('sk-secret');
  });
});

describe('gateway process', () => {
  it('stops at start with exit code 2 and a message naming the bad variables', () => {
    const main = fileURLToPath(new URL('../../src/gateway/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, [...TSX_ARGS, main], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PROXY_TOKEN_PUBLIC_KEY: required.PROXY_TOKEN_PUBLIC_KEY,
        PROXY_POLICY_TTL_MS: '50',
        PROXY_LISTEN: '127.0.0.1:0',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PROXY_POLICY_TABLE: is required/);
    expect(result.stderr).toMatch(/PROXY_POLICY_TTL_MS: must be at least 100/);
    expect(result.stdout).not.toMatch(/gateway listening/);
  });
});

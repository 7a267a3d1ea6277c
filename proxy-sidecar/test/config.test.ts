import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProxyConfigError, loadConfigFromEnv } from '../src/index.js';
import { MAIN, TSX_ARGS } from './helpers/child-proxy.js';

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfigFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyConfigError);
    return (error as ProxyConfigError).issues.map((i) => i.variable);
  }
  throw new Error('expected a ProxyConfigError');
}

describe('loadConfigFromEnv', () => {
  it('applies defaults', () => {
    const config = loadConfigFromEnv({});
    expect(config.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(config.workspaceId).toBe('unknown');
    expect(config.allowLoopback).toBe(false);
    expect(config.policy).toEqual({ allowDomains: [], anthropic: null, bedrock: null, headerRules: [] });
    expect(config.testHosts).toBeNull();
  });

  it('reads every setting', () => {
    const config = loadConfigFromEnv({
      PROXY_LISTEN: 'unix:/run/ws/proxy.sock',
      PROXY_ALLOW_DOMAINS: 'api.anthropic.com,*.pypi.org:443',
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_WORKSPACE_ID: 'ws_123',
      PROXY_ANTHROPIC_API_KEY: 'sk-real',
      PROXY_BEDROCK_REGION: 'eu-west-1',
      PROXY_HEADER_RULES: '[{"host":"mcp.example.com","headers":{"Authorization":"Bearer t"}}]',
      PROXY_TEST_HOSTS: 'a.test=127.0.0.1|::1,b.test=10.0.0.1',
      PROXY_SOCKET_MODE: '0660',
    });
    expect(config.listen).toEqual({ kind: 'unix', path: '/run/ws/proxy.sock' });
    expect(config.policy.allowDomains).toHaveLength(2);
    expect(config.policy.anthropic).toEqual({
      apiKey: 'sk-real',
      hosts: ['api.anthropic.com'],
      upstreamScheme: 'https',
    });
    expect(config.policy.bedrock?.hosts).toEqual(['bedrock-runtime.eu-west-1.amazonaws.com']);
    expect(config.policy.headerRules).toEqual([
      { host: 'mcp.example.com', headers: { authorization: 'Bearer t' }, upstreamScheme: 'https' },
    ]);
    expect(config.testHosts).toEqual({ 'a.test': ['127.0.0.1', '::1'], 'b.test': ['10.0.0.1'] });
    expect(config.socketMode).toBe(0o660);
  });

  it.each([
    [{ PROXY_LISTEN: 'localhost' }, 'PROXY_LISTEN'],
    [{ PROXY_LISTEN: 'unix:relative.sock' }, 'PROXY_LISTEN'],
    [{ PROXY_LISTEN: '1.2.3.4:99999' }, 'PROXY_LISTEN'],
    // The sidecar has no admin API: the relay's listener variable is not one of its settings.
    [{ PROXY_ADMIN_LISTEN: '0.0.0.0:8081' }, 'PROXY_ADMIN_LISTEN'],
    [{ PROXY_MAX_HEADER_BYTES: '10' }, 'PROXY_MAX_HEADER_BYTES'],
    [{ PROXY_SOCKET_MODE: '999' }, 'PROXY_SOCKET_MODE'],
    [{ PROXY_WORKSPACE_ID: 'ws with spaces' }, 'PROXY_WORKSPACE_ID'],
    [{ PROXY_ALLOW_DOMAINS: 'ok.com,bad domain' }, 'PROXY_ALLOW_DOMAINS'],
    [{ PROXY_ALLOW_LOOPBACK: 'yes' }, 'PROXY_ALLOW_LOOPBACK'],
    [{ PROXY_ANTHROPIC_UPSTREAM_SCHEME: 'ftp' }, 'PROXY_ANTHROPIC_UPSTREAM_SCHEME'],
    [{ PROXY_BEDROCK_REGION: 'moon' }, 'PROXY_BEDROCK_REGION'],
    [{ PROXY_BEDROCK_HOSTS: 'x.amazonaws.com' }, 'PROXY_BEDROCK_REGION'],
    [{ PROXY_HEADER_RULES: '{not json' }, 'PROXY_HEADER_RULES'],
    [{ PROXY_HEADER_RULES: '[{"host":"a.com","headers":{"Host":"x"}}]' }, 'PROXY_HEADER_RULES'],
    [{ PROXY_TEST_HOSTS: 'a.test=not-an-ip' }, 'PROXY_TEST_HOSTS'],
    [{ PROXY_IDLE_TIMEOUT_MS: '-5' }, 'PROXY_IDLE_TIMEOUT_MS'],
    [{ PROXY_ALLOW_DOMAIN: 'typo.com' }, 'PROXY_ALLOW_DOMAIN'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(issuesOf(env as Record<string, string>)).toContain(variable);
  });
});

describe('proxy process', () => {
  it('stops at start with a non-zero exit code and a message naming the bad variable', () => {
    const result = spawnSync(process.execPath, [...TSX_ARGS, MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PROXY_ALLOW_DOMAINS: 'good.com,not a domain',
        PROXY_LISTEN: '127.0.0.1:0',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PROXY_ALLOW_DOMAINS: "not a domain" is not a domain name/);
    expect(result.stdout).not.toMatch(/proxy listening/);
  });
});

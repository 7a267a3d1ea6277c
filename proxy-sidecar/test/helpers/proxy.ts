import type { AuditEntry, ProxyConfig, RunningProxy, StartOptions } from '../../src/index.js';
import { noProxyMetrics, parseDomainList, startProxy } from '../../src/index.js';

/** A proxy config for in-process tests: an ephemeral loopback port, loopback upstreams allowed. */
export function testConfig(overrides: Partial<ProxyConfig> & { allow?: string } = {}): ProxyConfig {
  const { allow, ...rest } = overrides;
  return {
    listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    workspaceId: 'ws_test',
    allowLoopback: true,
    policy: { allowDomains: parseDomainList(allow ?? ''), anthropic: null, bedrock: null, headerRules: [] },
    testHosts: {},
    limits: {
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 5_000,
      connectTimeoutMs: 2_000,
      idleTimeoutMs: 10_000,
      maxSignedBodyBytes: 1024 * 1024,
    },
    metricsFlushIntervalMs: 60_000,
    socketMode: 0o666,
    ...rest,
  };
}

/** An in-process proxy whose audit lines are kept in `audit`. */
export interface TestProxy extends RunningProxy {
  port: number;
  audit: AuditEntry[];
}

export async function startTestProxy(config: ProxyConfig, options: StartOptions = {}): Promise<TestProxy> {
  const audit: AuditEntry[] = [];
  const proxy = await startProxy(config, {
    metrics: noProxyMetrics,
    audit: { record: (entry) => audit.push(entry) },
    ...options,
  });
  return Object.assign(proxy, {
    port: proxy.address.kind === 'tcp' ? proxy.address.port : 0,
    audit,
  });
}

/** Waits until `predicate` holds (audit lines are written when the response closes). */
export async function eventually(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { signAgentToken } from '@berth/protocol/agent-token';
import type { TokenAudience } from '@berth/protocol/agent-token';
import type {
  AuditEntry,
  EgressPolicy,
  GatewayConfig,
  GatewayOptions,
  RunningGateway,
  WorkspacePolicy,
  WorkspacePolicySource,
} from '../../src/index.js';
import { noProxyMetrics, parseDomainList, startGateway } from '../../src/index.js';

/** The control plane's signing key pair for a test. */
export const controlPlaneKeys = () => generateKeyPairSync('ed25519');

/** A proxy credential as the control plane would hand it to a workspace. */
export function egressToken(
  privateKey: KeyObject,
  workspaceId: string,
  options: { audience?: TokenAudience; issuedAt?: number; lifetimeSeconds?: number } = {},
): string {
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  return signAgentToken(privateKey, {
    audience: options.audience ?? 'egress',
    workspaceId,
    issuedAt,
    expiresAt: issuedAt + (options.lifetimeSeconds ?? 600),
  });
}

export const bearer = (token: string) => ({ 'proxy-authorization': `Bearer ${token}` });
/** What clients send for `http://<user>:<token>@gateway:port`. */
export const basic = (token: string, user = 'ws') => ({
  'proxy-authorization': `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`,
});

/** A policy that allows `allow` (domain list syntax) and injects nothing. */
export const allowing = (allow: string): EgressPolicy => ({
  allowDomains: parseDomainList(allow),
  anthropic: null,
  bedrock: null,
  headerRules: [],
});

/** An in-memory policy store the test changes at will; `fail` makes every read reject. */
export class MemoryPolicies implements WorkspacePolicySource {
  readonly policies = new Map<string, WorkspacePolicy>();
  fail = false;
  reads = 0;

  async policyFor(workspaceId: string): Promise<WorkspacePolicy | null> {
    this.reads += 1;
    if (this.fail) throw new Error('policy store unavailable');
    return this.policies.get(workspaceId) ?? null;
  }
}

/** A gateway for in-process tests: ephemeral loopback port, loopback upstreams allowed, audit kept. */
export interface TestGateway extends RunningGateway {
  port: number;
  audit: AuditEntry[];
}

export async function startTestGateway(
  publicKey: KeyObject,
  policies: WorkspacePolicySource,
  overrides: Partial<GatewayConfig> = {},
  options: Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const audit: AuditEntry[] = [];
  const gateway = await startGateway(
    {
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      credentialPublicKey: publicKey,
      allowLoopback: true,
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
      ...overrides,
    },
    { metrics: noProxyMetrics, audit: { record: (entry) => audit.push(entry) }, policies, ...options },
  );
  return Object.assign(gateway, {
    port: gateway.address.kind === 'tcp' ? gateway.address.port : 0,
    audit,
  });
}

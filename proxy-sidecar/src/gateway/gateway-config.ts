import * as z from '@berth/protocol/validation';
import { agentPublicKeyFromText } from '@berth/protocol/agent-token';
import { basePolicyFromEnv, basePolicySettings, upstreamScheme } from '../base-policy-settings.js';
import {
  flag,
  integer,
  listenAddress,
  forwardingFrom,
  forwardingSettings,
  parseProxyEnv,
  requiredText,
  socketMode,
  withDefault,
} from '../env-settings.js';
import type { EgressPolicy, UpstreamScheme } from '../policy/egress-policy.js';
import { parsedString } from '../policy/egress-policy.js';
import { parseTestHosts } from '../policy/resolver.js';
import type { GatewayConfig } from './gateway.js';

/** Everything the deployed gateway needs: how it serves, and where and on what each workspace's policy is. */
export interface GatewayEnvConfig extends GatewayConfig {
  /** The control plane's DynamoDB table: each workspace's item holds its tenant, status and own rules. */
  policyTable: string;
  /** The operator's policy every workspace starts from (allowlist, Anthropic key, Bedrock signing). */
  basePolicy: EgressPolicy;
  /** Test-only `http`: header rules speak plain HTTP upstream (loopback fakes). */
  headerRulesUpstreamScheme: UpstreamScheme;
  policyCache: { ttlMs: number };
}

/** DynamoDB's own rule for table names. */
const tableName = (text: string) => {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(text)) throw new Error('is not a DynamoDB table name');
  return text;
};

const envSchema = z.strictObject({
  PROXY_LISTEN: listenAddress('0.0.0.0:3128'),
  PROXY_TOKEN_PUBLIC_KEY: requiredText(
    "is required (the control plane's Ed25519 public key, 32 bytes base64url)",
    agentPublicKeyFromText,
  ),
  PROXY_POLICY_TABLE: requiredText("is required (the control plane's DynamoDB table)", tableName),
  PROXY_POLICY_TTL_MS: withDefault(integer(100, 10_000), 1_000),
  ...basePolicySettings,
  PROXY_HEADER_RULES_UPSTREAM_SCHEME: withDefault(upstreamScheme, 'https'),
  PROXY_ALLOW_LOOPBACK: withDefault(flag, false),
  PROXY_TEST_HOSTS: z.optional(parsedString(parseTestHosts)),
  ...forwardingSettings,
  PROXY_SOCKET_MODE: socketMode,
});

/**
 * Reads the egress gateway's configuration from environment variables (see README, "Gateway mode").
 * Unset and empty variables take their defaults. Throws ProxyConfigError listing every bad variable by
 * name. DynamoDB's region, endpoint and credentials are the AWS SDK's own (AWS_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB, the task role), not read here.
 */
export function loadGatewayConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): GatewayEnvConfig {
  const e = parseProxyEnv(envSchema, env, 'gateway');
  return {
    listen: e.PROXY_LISTEN,
    credentialPublicKey: e.PROXY_TOKEN_PUBLIC_KEY,
    policyTable: e.PROXY_POLICY_TABLE,
    policyCache: { ttlMs: e.PROXY_POLICY_TTL_MS },
    basePolicy: basePolicyFromEnv(e),
    headerRulesUpstreamScheme: e.PROXY_HEADER_RULES_UPSTREAM_SCHEME,
    allowLoopback: e.PROXY_ALLOW_LOOPBACK,
    testHosts: e.PROXY_TEST_HOSTS ?? null,
    ...forwardingFrom(e),
    socketMode: e.PROXY_SOCKET_MODE,
  };
}

import * as z from '@berth/protocol/validation';
import { basePolicyFromEnv, basePolicySettings } from './base-policy-settings.js';
import {
  flag,
  listenAddress,
  forwardingFrom,
  forwardingSettings,
  parseProxyEnv,
  ProxyConfigError,
  socketMode,
  withDefault,
  workspaceId,
} from './env-settings.js';
import type { ListenAddress } from './listen-address.js';
import type { EgressPolicy } from './policy/egress-policy.js';
import { headerRulesSchema, parsedString } from './policy/egress-policy.js';
import { parseTestHosts } from './policy/resolver.js';

/** Bounds that keep one misbehaving peer from holding the proxy's resources. */
export interface ProxyLimits {
  /** Largest request head (request line + headers) accepted from the workspace; larger gets 431. */
  maxHeaderBytes: number;
  /** Time the workspace has to send a complete request head. */
  headersTimeoutMs: number;
  /** Time allowed to open a TCP connection upstream. */
  connectTimeoutMs: number;
  /** A forwarded request or tunnel with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Largest request body buffered for SigV4 signing; larger gets 413. */
  maxSignedBodyBytes: number;
}

/** Everything the proxy needs to start. Build it with {@link loadConfigFromEnv} or by hand. */
export interface ProxyConfig {
  /** Where the workspace reaches the proxy (TCP or `unix:` socket). */
  listen: ListenAddress;
  /** Written into every audit line. */
  workspaceId: string;
  /** Test-only: allow loopback upstreams (never private ranges or metadata). */
  allowLoopback: boolean;
  /** Initial allowlist and injection rules (the embedder replaces them through `RunningProxy.policy`). */
  policy: EgressPolicy;
  /** Test-only DNS table that replaces DNS entirely; null uses the system resolver. */
  testHosts: Record<string, string[]> | null;
  limits: ProxyLimits;
  /** How often EMF metrics are flushed to stdout. */
  metricsFlushIntervalMs: number;
  /** File mode for Unix socket listeners. */
  socketMode: number;
}

/** Thrown by {@link loadConfigFromEnv} (and the relay's and gateway's parsers); `issues` name the variables. */
export { ProxyConfigError };

const headerRulesText = parsedString((text) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON (expected [{"host":...,"headers":{...}}])');
  }
  const result = headerRulesSchema.safeParse(json);
  if (!result.success)
    throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
});

const envSchema = z.strictObject({
  PROXY_LISTEN: listenAddress('127.0.0.1:8080'),
  PROXY_WORKSPACE_ID: withDefault(workspaceId(), 'unknown'),
  ...basePolicySettings,
  PROXY_ALLOW_LOOPBACK: withDefault(flag, false),
  PROXY_HEADER_RULES: withDefault(headerRulesText, []),
  PROXY_TEST_HOSTS: z.optional(parsedString(parseTestHosts)),
  ...forwardingSettings,
  PROXY_SOCKET_MODE: socketMode,
});

/**
 * Reads the proxy configuration from environment variables (see README). Unset and empty variables
 * take their defaults. Throws {@link ProxyConfigError} listing every bad variable by name.
 */
export function loadConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ProxyConfig {
  const e = parseProxyEnv(envSchema, env);
  const policy = basePolicyFromEnv(e, e.PROXY_HEADER_RULES);
  return {
    listen: e.PROXY_LISTEN,
    workspaceId: e.PROXY_WORKSPACE_ID,
    allowLoopback: e.PROXY_ALLOW_LOOPBACK,
    policy,
    testHosts: e.PROXY_TEST_HOSTS ?? null,
    ...forwardingFrom(e),
    socketMode: e.PROXY_SOCKET_MODE,
  };
}

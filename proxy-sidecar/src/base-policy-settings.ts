import * as z from '@berth/protocol/validation';
import { ProxyConfigError, withDefault } from './env-settings.js';
import type { DomainRule } from './policy/allowlist.js';
import { parseDomainList } from './policy/allowlist.js';
import type { EgressPolicy, HeaderInjectionRule, UpstreamScheme } from './policy/egress-policy.js';
import { bedrockHostFor, parsedString } from './policy/egress-policy.js';

// The operator's base policy as environment variables: the sidecar's (config.ts) and the gateway's
// (gateway/gateway-config.ts) parsers read it alike, so both spell, check and assemble it one way.

/** `https` (production) or `http` (loopback fakes in tests). */
export const upstreamScheme = z.enum(['http', 'https'], { error: 'must be https or http' });

/** A comma-separated list of host names or `*.suffix` patterns, without ports; at least one. */
export const hostListText = parsedString((text) => {
  const hosts = text
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length === 0) throw new Error('must name at least one host');
  for (const host of hosts) {
    const rules = parseDomainList(host);
    if (rules[0]?.port !== null) throw new Error(`"${host}" must not carry a port`);
  }
  return hosts;
});

/** The variables of the base policy, to spread into an entry point's strict env schema. */
export const basePolicySettings = {
  PROXY_ALLOW_DOMAINS: withDefault(parsedString(parseDomainList), []),
  PROXY_ANTHROPIC_API_KEY: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  PROXY_ANTHROPIC_HOSTS: withDefault(hostListText, ['api.anthropic.com']),
  PROXY_ANTHROPIC_UPSTREAM_SCHEME: withDefault(upstreamScheme, 'https'),
  PROXY_BEDROCK_REGION: z.optional(
    z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'is not an AWS region name (e.g. us-east-1)')),
  ),
  PROXY_BEDROCK_HOSTS: z.optional(hostListText),
  PROXY_BEDROCK_UPSTREAM_SCHEME: withDefault(upstreamScheme, 'https'),
};

/** The parsed {@link basePolicySettings}. */
export interface BasePolicyEnv {
  PROXY_ALLOW_DOMAINS: DomainRule[];
  PROXY_ANTHROPIC_API_KEY?: string | undefined;
  PROXY_ANTHROPIC_HOSTS: string[];
  PROXY_ANTHROPIC_UPSTREAM_SCHEME: UpstreamScheme;
  PROXY_BEDROCK_REGION?: string | undefined;
  PROXY_BEDROCK_HOSTS?: string[] | undefined;
  PROXY_BEDROCK_UPSTREAM_SCHEME: UpstreamScheme;
}

/**
 * The base policy from its parsed variables: Anthropic key injection when a key is set, Bedrock signing
 * when a region is (its runtime host by default). Throws {@link ProxyConfigError} for Bedrock hosts
 * without a region.
 */
export function basePolicyFromEnv(e: BasePolicyEnv, headerRules: HeaderInjectionRule[] = []): EgressPolicy {
  if (e.PROXY_BEDROCK_HOSTS && !e.PROXY_BEDROCK_REGION) {
    throw new ProxyConfigError([
      { variable: 'PROXY_BEDROCK_REGION', message: 'is required when PROXY_BEDROCK_HOSTS is set' },
    ]);
  }
  return {
    allowDomains: e.PROXY_ALLOW_DOMAINS,
    anthropic: e.PROXY_ANTHROPIC_API_KEY
      ? {
          apiKey: e.PROXY_ANTHROPIC_API_KEY,
          hosts: e.PROXY_ANTHROPIC_HOSTS,
          upstreamScheme: e.PROXY_ANTHROPIC_UPSTREAM_SCHEME,
        }
      : null,
    bedrock: e.PROXY_BEDROCK_REGION
      ? {
          region: e.PROXY_BEDROCK_REGION,
          hosts: e.PROXY_BEDROCK_HOSTS ?? [bedrockHostFor(e.PROXY_BEDROCK_REGION)],
          upstreamScheme: e.PROXY_BEDROCK_UPSTREAM_SCHEME,
        }
      : null,
    headerRules,
  };
}

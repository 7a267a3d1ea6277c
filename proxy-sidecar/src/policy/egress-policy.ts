import { z } from 'zod';
import type { DomainRule } from './allowlist.js';
import { formatDomainRule, parseDomainRule } from './allowlist.js';
import { headerRuleProblems } from '@berth/core';

/** How the proxy talks to an injection target: TLS in production, plain HTTP for loopback test upstreams. */
export type UpstreamScheme = 'http' | 'https';

/** Replace the workspace's placeholder `x-api-key` with the real Anthropic key on these hosts. */
export interface AnthropicSettings {
  apiKey: string;
  hosts: string[];
  upstreamScheme: UpstreamScheme;
}

/** Re-sign requests to these Bedrock hosts with SigV4 using the proxy's own AWS credentials. */
export interface BedrockSettings {
  region: string;
  hosts: string[];
  upstreamScheme: UpstreamScheme;
}

/** Add or replace headers on requests to one host (exact or `*.suffix`), e.g. an MCP server's token. */
export interface HeaderRule {
  host: string;
  headers: Record<string, string>;
  upstreamScheme: UpstreamScheme;
}

/** Everything the admin API may change at run time. */
export interface EgressPolicy {
  allowDomains: DomainRule[];
  anthropic: AnthropicSettings | null;
  bedrock: BedrockSettings | null;
  headerRules: HeaderRule[];
}

/** The default Bedrock runtime host for a region. */
export const bedrockHostFor = (region: string): string => `bedrock-runtime.${region}.amazonaws.com`;

const hostPattern = z.string().transform((value, ctx) => {
  try {
    const rule = parseDomainRule(value);
    if (rule.port !== null) throw new Error('a port is not allowed here');
    return `${rule.wildcard ? '*.' : ''}${rule.name}`;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid host "${value}": ${(error as Error).message}` });
    return z.NEVER;
  }
});

const schemeSchema = z.enum(['http', 'https']);

const headerMap = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const message of headerRuleProblems(headers)) ctx.addIssue({ code: 'custom', message });
});

/** One header rule as JSON: `{host, headers:{name:value}, upstreamScheme?}`. */
export const headerRuleSchema = z
  .object({ host: hostPattern, headers: headerMap, upstreamScheme: schemeSchema.default('https') })
  .strict()
  .transform(
    (rule): HeaderRule => ({
      host: rule.host,
      headers: Object.fromEntries(Object.entries(rule.headers).map(([k, v]) => [k.toLowerCase(), v])),
      upstreamScheme: rule.upstreamScheme,
    }),
  );

/** A full rule set (replaces the previous one). At most 256 rules. */
export const headerRulesSchema = z.array(headerRuleSchema).max(256);

const domainSchema = z.string().transform((value, ctx) => {
  try {
    return parseDomainRule(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const hostList = z.array(hostPattern).min(1).max(64);

/** Body of `POST /admin/config`: every key is optional; a present key replaces that part; null turns injection off. */
export const policyUpdateSchema = z
  .object({
    allowDomains: z.array(domainSchema).max(1024).optional(),
    anthropic: z
      .object({
        apiKey: z.string().min(1).optional(),
        hosts: hostList.optional(),
        upstreamScheme: schemeSchema.optional(),
      })
      .strict()
      .nullable()
      .optional(),
    bedrock: z
      .object({
        region: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region name')
          .optional(),
        hosts: hostList.optional(),
        upstreamScheme: schemeSchema.optional(),
      })
      .strict()
      .nullable()
      .optional(),
    headerRules: headerRulesSchema.optional(),
  })
  .strict();

/** Parsed form of {@link policyUpdateSchema}. */
export type PolicyUpdate = z.infer<typeof policyUpdateSchema>;

/**
 * Applies an update to a policy and returns the new policy, or throws an Error with a message for the
 * caller (the old policy is untouched either way). Partial injection settings merge with the current
 * ones, so the control plane can change hosts without resending the key.
 */
export function applyPolicyUpdate(current: EgressPolicy, update: PolicyUpdate): EgressPolicy {
  const next: EgressPolicy = { ...current };
  if (update.allowDomains !== undefined) next.allowDomains = update.allowDomains;
  if (update.headerRules !== undefined) next.headerRules = update.headerRules;
  if (update.anthropic === null) next.anthropic = null;
  else if (update.anthropic !== undefined) {
    const apiKey = update.anthropic.apiKey ?? current.anthropic?.apiKey;
    if (!apiKey) throw new Error('anthropic.apiKey is required to turn Anthropic injection on');
    next.anthropic = {
      apiKey,
      hosts: update.anthropic.hosts ?? current.anthropic?.hosts ?? ['api.anthropic.com'],
      upstreamScheme: update.anthropic.upstreamScheme ?? current.anthropic?.upstreamScheme ?? 'https',
    };
  }
  if (update.bedrock === null) next.bedrock = null;
  else if (update.bedrock !== undefined) {
    const region = update.bedrock.region ?? current.bedrock?.region;
    if (!region) throw new Error('bedrock.region is required to turn Bedrock signing on');
    const regionChanged = region !== current.bedrock?.region;
    next.bedrock = {
      region,
      hosts: update.bedrock.hosts ??
        (regionChanged ? undefined : current.bedrock?.hosts) ?? [bedrockHostFor(region)],
      upstreamScheme: update.bedrock.upstreamScheme ?? current.bedrock?.upstreamScheme ?? 'https',
    };
  }
  return next;
}

/** A copy of the policy that is safe to show: the API key is replaced by its length. */
export function redactPolicy(policy: EgressPolicy) {
  return {
    allowDomains: policy.allowDomains.map(formatDomainRule),
    anthropic: policy.anthropic && {
      ...policy.anthropic,
      apiKey: `<${policy.anthropic.apiKey.length} chars>`,
    },
    bedrock: policy.bedrock,
    headerRules: policy.headerRules.map((rule) => ({
      host: rule.host,
      headers: Object.keys(rule.headers),
      upstreamScheme: rule.upstreamScheme,
    })),
  };
}

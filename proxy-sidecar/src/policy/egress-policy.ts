import * as z from '@berth/protocol/validation';
import type { DomainRule } from './allowlist.js';
import { formatDomainRule, parseDomainRule } from './allowlist.js';
import { headerRuleProblems } from '@berth/protocol';

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
export interface HeaderInjectionRule {
  host: string;
  headers: Record<string, string>;
  upstreamScheme: UpstreamScheme;
}

/** Everything the admin API may change at run time. */
export interface EgressPolicy {
  allowDomains: DomainRule[];
  anthropic: AnthropicSettings | null;
  bedrock: BedrockSettings | null;
  headerRules: HeaderInjectionRule[];
}

/** The default Bedrock runtime host for a region. */
export const bedrockHostFor = (region: string): string => `bedrock-runtime.${region}.amazonaws.com`;

// zod/mini loads no message locale: each schema says what it wants itself (the admin API answers with it).

/** An object with exactly these fields; an unknown field is named. */
const strictObject = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : 'must be an object',
  });

/**
 * A string parsed by a function that throws an Error whose message is the issue (`describe` may reword it).
 * Also the proxy's environment variables' (config.ts).
 */
export const parsedString = <T>(
  parse: (value: string) => T,
  describe = (message: string, _value: string) => message,
) =>
  z.pipe(
    z.string({ error: 'must be a string' }),
    z.transform((value: string, ctx) => {
      try {
        return parse(value);
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: describe((error as Error).message, value), input: value });
        return z.NEVER;
      }
    }),
  );

const hostPattern = parsedString(
  (value) => {
    const rule = parseDomainRule(value);
    if (rule.port !== null) throw new Error('a port is not allowed here');
    return `${rule.wildcard ? '*.' : ''}${rule.name}`;
  },
  (message, value) => `invalid host "${value}": ${message}`,
);

const schemeSchema = z.enum(['http', 'https'], { error: 'must be https or http' });

const headerMap = z
  .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of headers' })
  .check(
    z.superRefine((headers, ctx) => {
      for (const message of headerRuleProblems(headers)) ctx.addIssue({ code: 'custom', message });
    }),
  );

/** One header rule as JSON: `{host, headers:{name:value}, upstreamScheme?}`. */
export const headerRuleSchema = z.pipe(
  strictObject({ host: hostPattern, headers: headerMap, upstreamScheme: z._default(schemeSchema, 'https') }),
  z.transform(
    (rule): HeaderInjectionRule => ({
      host: rule.host,
      headers: Object.fromEntries(Object.entries(rule.headers).map(([k, v]) => [k.toLowerCase(), v])),
      upstreamScheme: rule.upstreamScheme,
    }),
  ),
);

/** A full rule set (replaces the previous one). At most 256 rules. */
export const headerRulesSchema = z
  .array(headerRuleSchema, { error: 'must be a list of header rules' })
  .check(z.maxLength(256, 'must hold at most 256 rules'));

const domainSchema = parsedString(parseDomainRule);

const hostList = z
  .array(hostPattern, { error: 'must be a list of hosts' })
  .check(z.minLength(1, 'must name at least one host'), z.maxLength(64, 'must name at most 64 hosts'));

/** Body of `POST /admin/config`: every key is optional; a present key replaces that part; null turns injection off. */
export const policyUpdateSchema = strictObject({
  allowDomains: z.optional(
    z
      .array(domainSchema, { error: 'must be a list of domains' })
      .check(z.maxLength(1024, 'must hold at most 1024 domains')),
  ),
  anthropic: z.optional(
    z.nullable(
      strictObject({
        apiKey: z.optional(
          z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty')),
        ),
        hosts: z.optional(hostList),
        upstreamScheme: z.optional(schemeSchema),
      }),
    ),
  ),
  bedrock: z.optional(
    z.nullable(
      strictObject({
        region: z.optional(
          z
            .string({ error: 'must be a string' })
            .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region name')),
        ),
        hosts: z.optional(hostList),
        upstreamScheme: z.optional(schemeSchema),
      }),
    ),
  ),
  headerRules: z.optional(headerRulesSchema),
});

/** Parsed form of {@link policyUpdateSchema}. */
export type PolicyUpdate = z.output<typeof policyUpdateSchema>;

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

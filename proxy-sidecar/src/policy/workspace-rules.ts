import { parseDomainList } from './allowlist.js';
import type { EgressPolicy, HeaderInjectionRule, UpstreamScheme } from './egress-policy.js';
import { headerRuleSchema } from './egress-policy.js';

/**
 * A workspace's own egress rules as the control plane keeps them (`PUT /v1/workspaces/{id}/egress`; core's
 * WorkspaceEgressRules with both parts present): allowlist entries and header rules without a scheme.
 */
export interface WorkspaceRules {
  allowDomains: readonly string[];
  headerRules: readonly { host: string; headers: Readonly<Record<string, string>> }[];
}

export interface WorkspaceRulesOptions {
  /** How the hosts of header rules are reached: `https` (default); `http` only for loopback fakes in tests. */
  headerRulesUpstreamScheme?: UpstreamScheme;
}

/**
 * A workspace's policy: the operator's base with the workspace's own rules added. Its allowlist entries
 * come after the base's and its header rules before the base's (where both set a header on one host, the
 * operator's value wins); the base's Anthropic and Bedrock injection is kept as it is, so a tenant can add
 * to the base but never take anything from it. Throws an Error naming the first bad entry (the rules were
 * checked when they were stored, so that means they were stored by something else).
 */
export function workspaceEgressPolicy(
  base: EgressPolicy,
  rules: WorkspaceRules,
  options: WorkspaceRulesOptions = {},
): EgressPolicy {
  const upstreamScheme = options.headerRulesUpstreamScheme ?? 'https';
  const allowDomains = rules.allowDomains.flatMap((entry) => {
    try {
      return parseDomainList(entry);
    } catch (e) {
      throw new Error(`allowDomains: ${(e as Error).message}`);
    }
  });
  const headerRules = rules.headerRules.map((rule, i): HeaderInjectionRule => {
    // The proxy's own schema: host patterns normalised, header names lower-cased and checked.
    const parsed = headerRuleSchema.safeParse({ host: rule.host, headers: rule.headers, upstreamScheme });
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = [`headerRules[${i}]`, ...(issue?.path ?? [])].join('.');
    throw new Error(`${where}: ${issue?.message ?? 'is not a header rule'}`);
  });
  return {
    ...base,
    allowDomains: [...base.allowDomains, ...allowDomains],
    headerRules: [...headerRules, ...base.headerRules],
  };
}

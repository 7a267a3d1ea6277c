import { anthropicInjector } from '../inject/anthropic.js';
import type { AwsCredentialsProvider } from '../inject/bedrock-sigv4.js';
import { bedrockInjector } from '../inject/bedrock-sigv4.js';
import { headerRuleInjector } from '../inject/header-rules.js';
import type { InjectionPlan, Injector } from '../inject/injector.js';
import { hostMatches } from './allowlist.js';
import type { EgressPolicy, HeaderInjectionRule, PolicyUpdate, UpstreamScheme } from './egress-policy.js';
import { applyPolicyUpdate } from './egress-policy.js';

/** An immutable view of the policy; a request uses one snapshot from start to end. */
export interface PolicySnapshot {
  readonly policy: EgressPolicy;
  /** Bumped on every successful update. */
  readonly version: number;
  /** The injection plan for a host, or null when no rule names it. */
  planFor(host: string): InjectionPlan | null;
}

const patternMatches = (pattern: string, host: string): boolean =>
  pattern.startsWith('*.')
    ? hostMatches({ name: pattern.slice(2), wildcard: true }, host)
    : hostMatches({ name: pattern, wildcard: false }, host);

function compile(policy: EgressPolicy, version: number, credentials: AwsCredentialsProvider): PolicySnapshot {
  const anthropic = policy.anthropic && {
    settings: policy.anthropic,
    injector: anthropicInjector(policy.anthropic),
  };
  const bedrock = policy.bedrock && {
    settings: policy.bedrock,
    injector: bedrockInjector(policy.bedrock, credentials),
  };
  const rules = policy.headerRules.map((rule: HeaderInjectionRule) => ({
    rule,
    injector: headerRuleInjector(rule),
  }));
  return {
    policy,
    version,
    planFor(host) {
      const injectors: Injector[] = [];
      let scheme: UpstreamScheme | null = null;
      if (anthropic && anthropic.settings.hosts.some((p) => patternMatches(p, host))) {
        injectors.push(anthropic.injector);
        scheme = anthropic.settings.upstreamScheme;
      }
      for (const { rule, injector } of rules) {
        if (!patternMatches(rule.host, host)) continue;
        injectors.push(injector);
        scheme ??= rule.upstreamScheme;
      }
      if (bedrock && bedrock.settings.hosts.some((p) => patternMatches(p, host))) {
        injectors.push(bedrock.injector); // last: the signature must cover every header set before it
        scheme = bedrock.settings.upstreamScheme;
      }
      return scheme === null ? null : { scheme, injectors };
    },
  };
}

/**
 * Holds the live policy. Updates build a complete new snapshot first and swap it in only when that
 * worked, so a bad update leaves the old rules in force.
 */
export class PolicyStore {
  private snapshot: PolicySnapshot;

  constructor(
    initial: EgressPolicy,
    private readonly credentials: AwsCredentialsProvider,
  ) {
    this.snapshot = compile(initial, 1, credentials);
  }

  current(): PolicySnapshot {
    return this.snapshot;
  }

  /** Applies a validated update; throws (leaving the policy as it was) when the result is incomplete. */
  update(update: PolicyUpdate): PolicySnapshot {
    const next = applyPolicyUpdate(this.snapshot.policy, update);
    this.snapshot = compile(next, this.snapshot.version + 1, this.credentials);
    return this.snapshot;
  }
}

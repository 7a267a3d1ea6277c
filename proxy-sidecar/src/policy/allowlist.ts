import { formatDomainEntry, parseDomainEntry, type DomainEntry } from '@berth/protocol';
import { normalizeHost } from './host-name.js';

/**
 * One allowlist entry (@berth/protocol's grammar). `name` is an exact host, or for `*.suffix` the suffix
 * (without `*.`), which then matches any name below it but not the suffix itself. Without a port, CONNECT may
 * use 443 and plain HTTP 80.
 */
export type DomainRule = DomainEntry;

/** How the workspace asked to reach a destination: a CONNECT tunnel or a plain-HTTP forward. */
export type AccessMode = 'connect' | 'http';

/** Result of checking a host and port against the allowlist. */
export type AllowlistVerdict = 'allowed' | 'domain_not_allowed' | 'port_not_allowed';

const DEFAULT_PORT: Record<AccessMode, number> = { connect: 443, http: 80 };

/**
 * Parses one entry such as `api.anthropic.com`, `*.pypi.org:443` or `10.0.0.1:8080`. Throws on bad input.
 * The proxy's lists are the operator's (PROXY_ALLOW_DOMAINS, the admin API), so IP literals are accepted;
 * the control plane checks tenants' entries with the same grammar, without them.
 */
export function parseDomainRule(text: string): DomainRule {
  const r = parseDomainEntry(text, { ipLiterals: true });
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

/** Parses a comma-separated list; empty items are ignored. */
export function parseDomainList(text: string): DomainRule[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map(parseDomainRule);
}

/** Renders a rule back to its textual form (for stats and logs). */
export const formatDomainRule: (rule: DomainRule) => string = formatDomainEntry;

/** True when `host` is the rule's name (exact) or lies below its suffix (wildcard). */
export function hostMatches(rule: Pick<DomainRule, 'name' | 'wildcard'>, host: string): boolean {
  const normalized = normalizeHost(host);
  if (normalized === null) return false;
  return rule.wildcard ? normalized.endsWith(`.${rule.name}`) : normalized === rule.name;
}

/**
 * Checks host and port. A host that no rule names is `domain_not_allowed`; a named host on a port
 * none of its rules admits is `port_not_allowed`.
 */
export function checkAllowlist(
  rules: readonly DomainRule[],
  host: string,
  port: number,
  mode: AccessMode,
): AllowlistVerdict {
  let hostSeen = false;
  for (const rule of rules) {
    if (!hostMatches(rule, host)) continue;
    hostSeen = true;
    if ((rule.port ?? DEFAULT_PORT[mode]) === port) return 'allowed';
  }
  return hostSeen ? 'port_not_allowed' : 'domain_not_allowed';
}

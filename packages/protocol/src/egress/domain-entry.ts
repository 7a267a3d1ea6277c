import { isIpv4Literal, isIpv6Literal } from './ip-literal.js';

/**
 * The egress allowlist grammar, the one the control plane checks tenants' rules with and the proxy parses
 * every entry with: `name`, `*.suffix` (any name below the suffix, not the suffix itself), either optionally
 * with `:port` (1-65535; without one, CONNECT may use 443 and plain HTTP 80). Case and one trailing dot do
 * not matter.
 *
 * IP literals (`10.0.0.1`, `[::1]:9000`) are an option, `ipLiterals`:
 * - refused on the tenant-facing API: a tenant names domains; the proxy refuses private, loopback and
 *   metadata addresses whatever the list says, so a literal would only ever reach a public address
 *   without a name, which no rule needs;
 * - accepted from the operator (PROXY_ALLOW_DOMAINS, the proxy's admin API, BERTH_EGRESS_ALLOW): test and
 *   bench upstreams listen on addresses, and the proxy's refusal tests list 169.254.169.254 to show the
 *   address guard wins over the list.
 * A wildcard is always over a name.
 */
export interface DomainEntry {
  /** A lower-case DNS name without trailing dot, or an IP literal (IPv6 without brackets). */
  name: string;
  wildcard: boolean;
  port: number | null;
}

export interface DomainGrammarOptions {
  /** Accept IP literals (operator settings); tenants' rules refuse them. */
  ipLiterals: boolean;
}

export type GrammarResult<T> = { ok: true; value: T } | { ok: false; message: string };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * A syntactically valid DNS name: labels of letters, digits, `-` and `_`, at most 253 characters, and a last
 * label that is not all digits (a name like that is an IP address, or nothing).
 */
export function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels.at(-1)!);
}

const AUTHORITY = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/** Parses one allowlist entry such as `api.anthropic.com`, `*.pypi.org:443` or (operator) `10.0.0.1:8080`. */
export function parseDomainEntry(text: string, options: DomainGrammarOptions): GrammarResult<DomainEntry> {
  const bad = {
    ok: false,
    message: `"${text}" is not a domain name or *.suffix, optionally with :port (1-65535)`,
  } as const;
  const value = text.trim().toLowerCase();
  const wildcard = value.startsWith('*.');
  const match = AUTHORITY.exec(wildcard ? value.slice(2) : value);
  if (!match) return bad;
  const host = match[1]!;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65535)) return bad;

  let name: string;
  let isIp: boolean;
  if (host.startsWith('[')) {
    name = host.slice(1, -1);
    isIp = true;
    if (!isIpv6Literal(name)) return bad;
  } else {
    name = host.endsWith('.') ? host.slice(0, -1) : host;
    isIp = isIpv4Literal(name);
    if (!isIp && !isDnsName(name)) return bad;
  }
  if (isIp && wildcard) return bad;
  if (isIp && !options.ipLiterals) {
    return { ok: false, message: `"${text}" is an IP address: name the domain instead` };
  }
  return { ok: true, value: { name, wildcard, port } };
}

/** An entry in its canonical text form: `*.suffix`, `name`, `[v6]`, with `:port` when it has one. */
export function formatDomainEntry(entry: DomainEntry): string {
  const host = entry.name.includes(':') ? `[${entry.name}]` : entry.name;
  return `${entry.wildcard ? '*.' : ''}${host}${entry.port === null ? '' : `:${entry.port}`}`;
}

/**
 * The host of a header rule (or of an injection target): an allowlist entry without a port, in the form hosts
 * are matched in (`*.suffix` or `name`; an IPv6 literal without brackets).
 */
export function parseRuleHost(text: string, options: DomainGrammarOptions): GrammarResult<string> {
  const entry = parseDomainEntry(text, options);
  if (!entry.ok) {
    return entry.message.includes('IP address')
      ? entry
      : { ok: false, message: `"${text}" is not a host name or *.suffix (no port)` };
  }
  if (entry.value.port !== null)
    return { ok: false, message: `"${text}" is not a host name or *.suffix (no port)` };
  return { ok: true, value: `${entry.value.wildcard ? '*.' : ''}${entry.value.name}` };
}

import { describe, expect, it } from 'vitest';
import { checkAllowlist, parseDomainList, parseDomainRule } from '../src/policy/allowlist.js';
import { decideDestination } from '../src/policy/destination.js';
import { staticResolver } from '../src/policy/resolver.js';

describe('allowlist', () => {
  const rules = parseDomainList('api.anthropic.com, *.pypi.org, registry.npmjs.org:8443, [::1]:9000');

  it('parses exact names, wildcards and ports', () => {
    expect(rules).toEqual([
      { name: 'api.anthropic.com', wildcard: false, port: null },
      { name: 'pypi.org', wildcard: true, port: null },
      { name: 'registry.npmjs.org', wildcard: false, port: 8443 },
      { name: '::1', wildcard: false, port: 9000 },
    ]);
  });

  it.each([
    '*',
    '*.',
    'a b.com',
    'http://x.com',
    'x.com:0',
    'x.com:70000',
    '-bad.com',
    'x..com',
    'user@x.com',
    '*.x.com:port',
  ])('rejects %s', (entry) => {
    expect(() => parseDomainRule(entry)).toThrow(/not a domain name/);
  });

  it('uses 443 for CONNECT and 80 for plain HTTP when no port is given', () => {
    expect(checkAllowlist(rules, 'api.anthropic.com', 443, 'connect')).toBe('allowed');
    expect(checkAllowlist(rules, 'api.anthropic.com', 80, 'http')).toBe('allowed');
    expect(checkAllowlist(rules, 'api.anthropic.com', 80, 'connect')).toBe('port_not_allowed');
    expect(checkAllowlist(rules, 'api.anthropic.com', 22, 'connect')).toBe('port_not_allowed');
    expect(checkAllowlist(rules, 'api.anthropic.com', 443, 'http')).toBe('port_not_allowed');
  });

  it('an explicit port is the only port', () => {
    expect(checkAllowlist(rules, 'registry.npmjs.org', 8443, 'connect')).toBe('allowed');
    expect(checkAllowlist(rules, 'registry.npmjs.org', 8443, 'http')).toBe('allowed');
    expect(checkAllowlist(rules, 'registry.npmjs.org', 443, 'connect')).toBe('port_not_allowed');
  });

  it('wildcards match names below the suffix, not the suffix or look-alikes', () => {
    expect(checkAllowlist(rules, 'files.pypi.org', 443, 'connect')).toBe('allowed');
    expect(checkAllowlist(rules, 'a.b.pypi.org', 443, 'connect')).toBe('allowed');
    expect(checkAllowlist(rules, 'pypi.org', 443, 'connect')).toBe('domain_not_allowed');
    expect(checkAllowlist(rules, 'evilpypi.org', 443, 'connect')).toBe('domain_not_allowed');
    expect(checkAllowlist(rules, 'pypi.org.evil.com', 443, 'connect')).toBe('domain_not_allowed');
  });

  it('matches case-insensitively and ignores a trailing dot', () => {
    expect(checkAllowlist(rules, 'API.Anthropic.COM.', 443, 'connect')).toBe('allowed');
  });
});

describe('decideDestination', () => {
  const context = (allow: string, table: Record<string, string[]>, allowLoopback = false) => ({
    allowDomains: parseDomainList(allow),
    allowLoopback,
    resolve: staticResolver(table),
  });

  it('does not look up names that are not on the allowlist', async () => {
    let lookups = 0;
    const decision = await decideDestination('evil.test', 80, 'http', {
      allowDomains: [],
      allowLoopback: false,
      resolve: async () => {
        lookups += 1;
        return ['93.184.216.34'];
      },
    });
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'domain_not_allowed' });
    expect(lookups).toBe(0);
  });

  it('refuses when any resolved address is refused (rebinding with mixed answers)', async () => {
    const decision = await decideDestination(
      'mixed.test',
      80,
      'http',
      context('mixed.test', { 'mixed.test': ['93.184.216.34', '10.0.0.7'] }),
    );
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'address_private' });
  });

  it('refuses a listed IP literal in a refused range', async () => {
    const decision = await decideDestination('169.254.169.254', 80, 'http', context('169.254.169.254', {}));
    expect(decision).toMatchObject({ kind: 'blocked', reason: 'address_metadata' });
  });

  it('returns the checked addresses, IPv4 first', async () => {
    const decision = await decideDestination(
      'ok.test',
      443,
      'connect',
      context('ok.test', { 'ok.test': ['2606:4700::1', '93.184.216.34'] }),
    );
    expect(decision).toEqual({ kind: 'allowed', addresses: ['93.184.216.34', '2606:4700::1'] });
  });

  it('reports names that do not resolve as unresolved, not blocked', async () => {
    const decision = await decideDestination('gone.test', 443, 'connect', context('gone.test', {}));
    expect(decision.kind).toBe('unresolved');
  });
});

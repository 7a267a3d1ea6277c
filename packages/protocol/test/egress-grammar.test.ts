import { describe, expect, it } from 'vitest';
import {
  formatDomainEntry,
  isDnsName,
  isIpv4Literal,
  isIpv6Literal,
  parseDomainEntry,
  parseRuleHost,
  type DomainEntry,
} from '@berth/protocol';

const TENANT = { ipLiterals: false };
const OPERATOR = { ipLiterals: true };
const NOT_AN_ENTRY = /is not a domain name or \*\.suffix, optionally with :port \(1-65535\)/;
const AN_ADDRESS = /is an IP address: name the domain instead/;

const label63 = 'a'.repeat(63);
/** 4 labels of 63 + 3 dots = 255 characters: over the 253 a DNS name may have. */
const name255 = [label63, label63, label63, label63].join('.');
/** 3 labels of 63 + one of 61 + 3 dots = 253 characters: the longest name. */
const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');

const entry = (name: string, port: number | null = null, wildcard = false): DomainEntry => ({
  name,
  wildcard,
  port,
});

/** [text, what the tenant's API parses it to (or the error), what the operator's settings parse it to] */
type Row = [string, DomainEntry | RegExp, DomainEntry | RegExp];

const ROWS: Row[] = [
  // names, case and a trailing dot
  ['api.anthropic.com', entry('api.anthropic.com'), entry('api.anthropic.com')],
  ['  API.Anthropic.COM  ', entry('api.anthropic.com'), entry('api.anthropic.com')],
  ['localhost', entry('localhost'), entry('localhost')],
  ['example.com.', entry('example.com'), entry('example.com')],
  ['example.com..', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['_dmarc.example.com', entry('_dmarc.example.com'), entry('_dmarc.example.com')],
  ['a-b.example', entry('a-b.example'), entry('a-b.example')],
  [name253, entry(name253), entry(name253)],
  // *.suffix
  ['*.pypi.org', entry('pypi.org', null, true), entry('pypi.org', null, true)],
  ['*.pypi.org:443', entry('pypi.org', 443, true), entry('pypi.org', 443, true)],
  ['*.', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['*', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['**.pypi.org', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['a.*.pypi.org', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['*pypi.org', NOT_AN_ENTRY, NOT_AN_ENTRY],
  // :port bounds
  ['example.com:1', entry('example.com', 1), entry('example.com', 1)],
  ['example.com:65535', entry('example.com', 65535), entry('example.com', 65535)],
  ['example.com:0', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com:65536', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com:123456', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com:', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com:-1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com:80:80', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com.:8080', entry('example.com', 8080), entry('example.com', 8080)],
  // an all-digit last label is an address or nothing
  ['example.123', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['123.example', entry('123.example'), entry('123.example')],
  ['1.2.3', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['256.0.0.1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['010.0.0.1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  // IPv4 literals: the operator's settings only, never under a wildcard
  ['10.0.0.1', AN_ADDRESS, entry('10.0.0.1')],
  ['10.0.0.1:8080', AN_ADDRESS, entry('10.0.0.1', 8080)],
  ['169.254.169.254', AN_ADDRESS, entry('169.254.169.254')],
  ['10.0.0.1.', AN_ADDRESS, entry('10.0.0.1')],
  ['*.10.0.0.1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  // IPv6 literals: bracketed, the operator's settings only
  ['[::1]', AN_ADDRESS, entry('::1')],
  ['[::1]:9000', AN_ADDRESS, entry('::1', 9000)],
  ['[2001:DB8::7]', AN_ADDRESS, entry('2001:db8::7')],
  ['[::ffff:10.1.2.3]:443', AN_ADDRESS, entry('::ffff:10.1.2.3', 443)],
  ['::1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['[::1', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['[example.com]', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['[1::2::3]', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['*.[::1]', NOT_AN_ENTRY, NOT_AN_ENTRY],
  // bad labels
  ['-example.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example-.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['exa mple.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['exa$mple.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['ünicode.example', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['.example.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['http://example.com', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['example.com/path', NOT_AN_ENTRY, NOT_AN_ENTRY],
  ['', NOT_AN_ENTRY, NOT_AN_ENTRY],
  // too long
  [`${'a'.repeat(64)}.example`, NOT_AN_ENTRY, NOT_AN_ENTRY],
  [`${label63}.example`, entry(`${label63}.example`), entry(`${label63}.example`)],
  [name255, NOT_AN_ENTRY, NOT_AN_ENTRY],
];

describe('the egress domain grammar', () => {
  it.each(ROWS)('parses %j', (text, tenant, operator) => {
    for (const [options, expected] of [
      [TENANT, tenant],
      [OPERATOR, operator],
    ] as const) {
      const result = parseDomainEntry(text, options);
      if (expected instanceof RegExp) {
        expect(result.ok, `${text} with ${JSON.stringify(options)}`).toBe(false);
        if (!result.ok) expect(result.message).toMatch(expected);
      } else {
        expect(result, `${text} with ${JSON.stringify(options)}`).toEqual({ ok: true, value: expected });
      }
    }
  });

  it('formats an entry back to text that parses to the same entry', () => {
    for (const [text, , operator] of ROWS) {
      if (operator instanceof RegExp) continue;
      const formatted = formatDomainEntry(operator);
      expect(parseDomainEntry(formatted, OPERATOR), text).toEqual({ ok: true, value: operator });
    }
    expect(formatDomainEntry(entry('::1', 9000))).toBe('[::1]:9000');
    expect(formatDomainEntry(entry('pypi.org', 443, true))).toBe('*.pypi.org:443');
  });

  it.each([
    ['api.example.com', TENANT, { ok: true, value: 'api.example.com' }],
    ['*.Example.com.', TENANT, { ok: true, value: '*.example.com' }],
    ['10.0.0.1', OPERATOR, { ok: true, value: '10.0.0.1' }],
    ['[::1]', OPERATOR, { ok: true, value: '::1' }],
  ])('takes %j as a rule host', (text, options, expected) => {
    expect(parseRuleHost(text, options)).toEqual(expected);
  });

  it.each([
    ['api.example.com:443', TENANT, /is not a host name or \*\.suffix \(no port\)/],
    ['not a host', TENANT, /is not a host name or \*\.suffix \(no port\)/],
    ['10.0.0.1', TENANT, AN_ADDRESS],
    ['10.0.0.1:80', OPERATOR, /no port/],
  ])('refuses %j as a rule host', (text, options, message) => {
    const result = parseRuleHost(text, options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('DNS names and IP literals', () => {
  it.each([
    ['example.com', true],
    ['a', true],
    [name253, true],
    [name255, false],
    ['', false],
    ['example.com.', false], // the trailing dot is the entry parser's to strip
    ['a..b', false],
    ['example.42', false],
    ['Example.com', false], // names are lower-cased before the check
  ])('isDnsName(%j) is %s', (name, expected) => {
    expect(isDnsName(name)).toBe(expected);
  });

  it.each([
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['10.0.0.1', true],
    ['256.0.0.1', false],
    ['010.0.0.1', false],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['1.2.3.-4', false],
    [' 1.2.3.4', false],
    ['::1', false],
  ])('isIpv4Literal(%j) is %s', (text, expected) => {
    expect(isIpv4Literal(text)).toBe(expected);
  });

  it.each([
    ['::', true],
    ['::1', true],
    ['2001:db8::7', true],
    ['2001:DB8:0:0:0:0:0:7', true],
    ['fe80::1:2:3:4:5:6', true],
    ['::ffff:10.1.2.3', true],
    ['64:ff9b::192.0.2.33', true],
    ['1:2:3:4:5:6:7', false],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['12345::1', false],
    ['g::1', false],
    ['::ffff:256.1.2.3', false],
    ['[::1]', false],
    ['fe80::1%eth0', false],
    ['10.1.2.3', false],
    ['', false],
  ])('isIpv6Literal(%j) is %s', (text, expected) => {
    expect(isIpv6Literal(text)).toBe(expected);
  });
});

/** IP literals as a host may be written, without `node:net` (the protocol runs in browsers too, via the SDK). */

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad IPv4, no leading zeros (`010.0.0.1` is octal to some resolvers, so it is no address here). */
export const isIpv4Literal = (s: string): boolean => IPV4.test(s);

/** IPv6 in any RFC 4291 text form (`::1`, `2001:db8::7`, `::ffff:10.1.2.3`), without brackets or zone. */
export function isIpv6Literal(s: string): boolean {
  let body = s;
  const tail = s.slice(s.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 address stands for the last two groups.
    if (!isIpv4Literal(tail) || !s.includes(':')) return false;
    body = `${s.slice(0, s.length - tail.length)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

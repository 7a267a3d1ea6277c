/**
 * What a header rule (a header the egress proxy adds for one host) may set. The control plane checks rules at
 * its API and the proxy checks them again at its admin API: both use these, so they cannot disagree.
 */

/** RFC 9110 token: a header name. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers that frame or route the request: the proxy owns them, a rule may not set them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'expect',
]);

/** Every problem with a rule's headers, as messages; empty when they are fine. */
export function headerRuleProblems(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || name.length > 256) problems.push(`"${name}" is not a valid header name`);
    else if (RESERVED_HEADERS.has(name.toLowerCase()))
      problems.push(`header "${name}" cannot be set by a rule`);
    // CR/LF would let a value start a new header line (request splitting); NUL is never legal.
    if (/[\r\n\0]/.test(value)) problems.push(`value of "${name}" contains CR, LF or NUL`);
  }
  return problems;
}

import * as z from 'zod/mini';
import { formatDomainEntry, parseDomainEntry, parseRuleHost } from '../egress/domain-entry.js';
import { headerRuleProblems } from '../egress/header-rules.js';
import { JSON_OBJECT } from './field-rules.js';
import { REQUEST_LIMITS as L } from './limits.js';

/**
 * `PUT /v1/workspaces/{id}/egress`: a tenant's allowlist and header rules. Checked here so a bad body is a
 * clean 400 before anything reaches the proxy, which parses the entries again with the same grammar
 * (../egress/domain-entry.ts; tenants may not list IP literals).
 */

const TENANT = { ipLiterals: false } as const;

/** An entry, in canonical form (`*.suffix:port`, lower case, no trailing dot). */
const domainEntry = z.pipe(
  z.string({ error: 'entries are strings' }).check(z.maxLength(260, 'entries are at most 260 characters')),
  z.transform((raw, ctx) => {
    const r = parseDomainEntry(raw, TENANT);
    if (r.ok) return formatDomainEntry(r.value);
    ctx.issues.push({ code: 'custom', message: r.message, input: raw });
    return z.NEVER;
  }),
);

const ruleHost = z.pipe(
  z.string({ error: 'must be a string' }).check(z.maxLength(255, 'at most 255 characters')),
  z.transform((raw, ctx) => {
    const r = parseRuleHost(raw, TENANT);
    if (r.ok) return r.value;
    ctx.issues.push({ code: 'custom', message: r.message, input: raw });
    return z.NEVER;
  }),
);

const HEADER_VALUE_RULE = `header values are strings of at most ${L.maxHeaderValueChars} characters`;

/** Header names come out lower-case: the proxy sets them so. */
const ruleHeaders = z.pipe(
  z
    .record(
      z.string(),
      z.string({ error: HEADER_VALUE_RULE }).check(z.maxLength(L.maxHeaderValueChars, HEADER_VALUE_RULE)),
      { error: 'must be an object of header name: value' },
    )
    .check(
      z.superRefine((headers, ctx) => {
        const count = Object.keys(headers).length;
        if (count === 0) ctx.addIssue({ code: 'custom', message: 'at least one header', input: headers });
        if (count > L.maxHeadersPerRule) {
          ctx.addIssue({
            code: 'custom',
            message: `at most ${L.maxHeadersPerRule} headers per rule`,
            input: headers,
          });
        }
        for (const message of headerRuleProblems(headers))
          ctx.addIssue({ code: 'custom', message, input: headers });
      }),
    ),
  z.transform((headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))),
);

export const egressRequest = z
  .strictObject(
    {
      allowDomains: z.optional(
        z
          .array(domainEntry, { error: 'must be an array of domain names' })
          .check(z.maxLength(L.maxAllowDomains, `at most ${L.maxAllowDomains} domains`)),
      ),
      headerRules: z.optional(
        z
          .array(
            z.strictObject({ host: ruleHost, headers: ruleHeaders }, { error: 'rules are {host, headers}' }),
            {
              error: 'must be an array of {host, headers}',
            },
          )
          .check(z.maxLength(L.maxHeaderRules, `at most ${L.maxHeaderRules} header rules`)),
      ),
    },
    JSON_OBJECT,
  )
  .check(
    z.refine(
      (r) => r.allowDomains !== undefined || r.headerRules !== undefined,
      'give allowDomains and/or headerRules',
    ),
  );
export type EgressRequest = z.infer<typeof egressRequest>;

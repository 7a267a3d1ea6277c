import { AGENT_LIMITS } from '@berth/protocol';
import { z } from 'zod';
import { headerRuleProblems } from './egress/header-rule-checks.js';
import { invalidRequest } from './errors.js';
import { isValidConversationId } from './model/ids.js';
import { WORKSPACE_STATUSES } from './model/workspace.js';

/** Request bodies of the public API (API.md), validated once at the edge. */

/** Label keys and values; both end up in store attributes and filters, so both are bounded. */
const LABEL_KEY = '[A-Za-z0-9._\\-/]{1,63}';
const MAX_LABEL_VALUE = 256;

const labels = z
  .record(z.string().regex(new RegExp(`^${LABEL_KEY}$`)), z.string().max(MAX_LABEL_VALUE))
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

export const createWorkspaceRequest = z.strictObject({
  conversationId: z
    .string()
    .refine(isValidConversationId, '1-128 characters of [A-Za-z0-9._:-], not only dots'),
  template: z.string().min(1).max(64).optional(),
  ttlSeconds: z.number().int().positive().optional(), // bounds: config.ttl (checkTtl)
  labels: labels.optional(),
  wait: z.boolean().optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequest>;

export const keepaliveRequest = z.strictObject({
  ttlSeconds: z.number().int().positive().optional(), // bounds: config.ttl (checkTtl)
});

export const execRequest = z.strictObject({
  cmd: z.array(z.string().max(131_072)).min(1).max(4096),
  cwd: z.string().max(4096).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
  timeoutMs: z.number().int().min(1).max(900_000).optional(),
  stdin: z.string().optional(),
});

// ---- POST /v1/workspaces/{id}/execute --------------------------------------------------------------
// The agent checks the body too (400 before any SSE); checking here refuses it before a workspace is touched.
// The limits are the agent's (@berth/protocol's AGENT_LIMITS): both sides read the same numbers.
const MAX_PROMPT_CHARS = AGENT_LIMITS.maxPromptChars;
const MAX_TURNS = AGENT_LIMITS.maxTurns;

export const executeRequest = z.strictObject({
  prompt: z.string().min(1).max(MAX_PROMPT_CHARS),
  sessionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, '1-128 characters of [A-Za-z0-9_-]')
    .optional(),
  maxTurns: z.number().int().min(1).max(MAX_TURNS).optional(),
  allowedTools: z.array(z.string().min(1).max(200)).max(100, 'at most 100 tools').optional(),
  model: z.string().min(1).max(200).regex(/^\S+$/, 'no whitespace').optional(),
});
export type ExecuteInput = z.infer<typeof executeRequest>;

export const listQuery = z.object({
  status: z.enum(WORKSPACE_STATUSES).optional(),
  label: z
    .string()
    .regex(
      new RegExp(`^${LABEL_KEY}:[\\s\\S]{0,${MAX_LABEL_VALUE}}$`),
      'label must be key:value, as labels are',
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2048).optional(),
});

/** Parses or throws `invalid_request` naming the first offending field. */
export function parseRequest<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw invalidRequest(`${where}${issue?.message ?? 'invalid request'}`);
}

// ---- PUT /v1/workspaces/{id}/egress ---------------------------------------------------------------
// Checked here so a bad body is a clean 400 before anything reaches the proxy (which checks again).

const DNS_LABEL = '(?!-)[a-z0-9_-]{1,63}(?<!-)';
const DNS_NAME = `${DNS_LABEL}(?:\\.${DNS_LABEL})*`;
/** `name` or `*.suffix`: names, not IP addresses (the proxy refuses private addresses whatever is listed). */
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${DNS_NAME}$`);
const DOMAIN_ENTRY = new RegExp(`^(?:\\*\\.)?(${DNS_NAME})(?::(\\d{1,5}))?$`);

const isIpv4Literal = (name: string) => /^\d+(\.\d+){3}$/.test(name);

const domainEntry = z
  .string()
  .max(260)
  .transform((raw, ctx) => {
    const value = raw.trim().toLowerCase();
    const m = DOMAIN_ENTRY.exec(value);
    const port = m?.[2] === undefined ? null : Number(m[2]);
    if (!m || m[1]!.length > 253 || isIpv4Literal(m[1]!) || (port !== null && (port < 1 || port > 65535))) {
      ctx.addIssue({
        code: 'custom',
        message: `"${raw}" is not a domain name or *.suffix, optionally with :port`,
      });
      return z.NEVER;
    }
    return value;
  });

const ruleHost = z
  .string()
  .max(255)
  .transform((raw, ctx) => {
    const value = raw.trim().toLowerCase();
    if (!HOST_PATTERN.test(value) || value.length > 255 || isIpv4Literal(value.replace(/^\*\./, ''))) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a host name or *.suffix (no port)` });
      return z.NEVER;
    }
    return value;
  });

const ruleHeaders = z
  .record(z.string(), z.string().max(8192))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one header' });
    if (names.length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 headers per rule' });
    for (const message of headerRuleProblems(headers)) ctx.addIssue({ code: 'custom', message });
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));

export const egressRequest = z
  .strictObject({
    allowDomains: z.array(domainEntry).max(100, 'at most 100 domains').optional(),
    headerRules: z
      .array(z.strictObject({ host: ruleHost, headers: ruleHeaders }))
      .max(50, 'at most 50 header rules')
      .optional(),
  })
  .refine((r) => r.allowDomains !== undefined || r.headerRules !== undefined, {
    message: 'give allowDomains and/or headerRules',
  });
export type EgressRequest = z.infer<typeof egressRequest>;

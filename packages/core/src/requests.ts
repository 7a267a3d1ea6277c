import { z } from 'zod';
import { invalidRequest } from './errors.js';
import { isValidConversationId } from './model/ids.js';
import { WORKSPACE_STATUSES } from './model/workspace.js';

/** Request bodies of the public API (API.md), validated once at the edge. */

const labels = z
  .record(z.string().regex(/^[A-Za-z0-9._\-/]{1,63}$/), z.string().max(256))
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

export const createWorkspaceRequest = z.strictObject({
  conversationId: z.string().refine(isValidConversationId, '1-128 characters of [A-Za-z0-9._:-]'),
  template: z.string().min(1).max(64).optional(),
  ttlSeconds: z.number().int().min(60).max(86_400).optional(),
  labels: labels.optional(),
  wait: z.boolean().optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequest>;

export const keepaliveRequest = z.strictObject({
  ttlSeconds: z.number().int().min(60).max(86_400).optional(),
});

export const execRequest = z.strictObject({
  cmd: z.array(z.string().max(131_072)).min(1).max(4096),
  cwd: z.string().max(4096).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
  timeoutMs: z.number().int().min(1).max(900_000).optional(),
  stdin: z.string().optional(),
});

export const listQuery = z.object({
  status: z.enum(WORKSPACE_STATUSES).optional(),
  label: z
    .string()
    .regex(/^[^:]+:.*$/, 'label must be key:value')
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

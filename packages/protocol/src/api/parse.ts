import type * as z from 'zod/mini';

/** Any request schema of the protocol (zod/mini), as `parseWith` takes it. */
export type RequestSchema = z.ZodMiniType;

/** What a schema makes of a valid input. */
export type Parsed<S extends RequestSchema> = z.infer<S>;

export type ParseResult<T> = { ok: true; data: T } | { ok: false; message: string };

/**
 * Checks `input` against a request schema. A refusal names the first offending field and the rule it broke
 * (`maxTurns: must be an integer from 1 to 100`), or the unknown field (`unknown field "shell"`): the control
 * plane and the workspace agent both answer with this message, so a client sees the same words from either.
 */
export function parseWith<S extends RequestSchema>(schema: S, input: unknown): ParseResult<Parsed<S>> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, data: r.data };
  const issue = r.error.issues[0];
  return { ok: false, message: issue ? describeIssue(issue) : 'invalid request' };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') {
    return `${where}unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  // A record key that breaks its rule: the key's own message says which rule (the record's is generic).
  if (issue.code === 'invalid_key' && issue.issues[0]) return `${where}${issue.issues[0].message}`;
  return `${where}${issue.message}`;
}

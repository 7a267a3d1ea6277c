import * as z from 'zod/mini';
import { REQUEST_LIMITS as L } from './limits.js';
import { WORKSPACE_STATUSES, type WorkspaceStatus } from './workspace-status.js';

// In a module of their own, without zod, for clients (../client.ts).
export { WORKSPACE_STATUSES, type WorkspaceStatus };

/**
 * 1-128 of `[A-Za-z0-9._:-]`, not only dots: `.` and `..` are path steps wherever the id becomes part of a
 * path or key (snapshot keys, directories), so they name no conversation.
 */
const CONVERSATION_ID = /^(?!\.+$)[A-Za-z0-9._:-]{1,128}$/;

export const isValidConversationId = (s: unknown): s is string =>
  typeof s === 'string' && CONVERSATION_ID.test(s);

const CONVERSATION_ID_RULE = '1-128 characters of [A-Za-z0-9._:-], not only dots';

/** Label keys and values; both end up in store attributes and filters, so both are bounded. */
const LABEL_KEY = `[A-Za-z0-9._\\-/]{1,${L.maxLabelKeyChars}}`;
const LABEL_KEY_RULE = `label keys are 1-${L.maxLabelKeyChars} characters of [A-Za-z0-9._-/]`;
const LABEL_VALUE_RULE = `label values are strings of at most ${L.maxLabelValueChars} characters`;

const labels = z
  .record(
    z.string().check(z.regex(new RegExp(`^${LABEL_KEY}$`), LABEL_KEY_RULE)),
    z.string({ error: LABEL_VALUE_RULE }).check(z.maxLength(L.maxLabelValueChars, LABEL_VALUE_RULE)),
    { error: 'must be an object of string labels' },
  )
  .check(z.refine((l) => Object.keys(l).length <= L.maxLabels, `at most ${L.maxLabels} labels`));

const BODY = { error: 'the body must be a JSON object' };

/** `ttlSeconds` is only shaped here; its range is the deployment's (config.ttl, core's checkTtl). */
const ttlSeconds = z.optional(
  z.int({ error: 'must be a positive integer' }).check(z.positive('must be a positive integer')),
);

const TEMPLATE_RULE = `must be a string of 1 to ${L.maxTemplateChars} characters`;

/** `POST /v1/workspaces`. */
export const createWorkspaceRequest = z.strictObject(
  {
    conversationId: z
      .string({ error: CONVERSATION_ID_RULE })
      .check(z.refine(isValidConversationId, CONVERSATION_ID_RULE)),
    template: z.optional(
      z
        .string({ error: TEMPLATE_RULE })
        .check(z.minLength(1, TEMPLATE_RULE), z.maxLength(L.maxTemplateChars, TEMPLATE_RULE)),
    ),
    ttlSeconds,
    labels: z.optional(labels),
    wait: z.optional(z.boolean({ error: 'must be true or false' })),
  },
  BODY,
);
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequest>;

/** `POST /v1/workspaces/{id}/keepalive`. */
export const keepaliveRequest = z.strictObject({ ttlSeconds }, BODY);
export type KeepaliveRequest = z.infer<typeof keepaliveRequest>;

const LIMIT_RULE = `must be an integer from 1 to ${L.maxListLimit}`;

/** The query of `GET /v1/workspaces` (strings in, as a query string has them; other parameters ignored). */
export const listWorkspacesQuery = z.object({
  status: z.optional(
    z.enum(WORKSPACE_STATUSES, { error: `must be one of ${WORKSPACE_STATUSES.join(', ')}` }),
  ),
  label: z.optional(
    z
      .string({ error: 'label must be key:value, as labels are' })
      .check(
        z.regex(
          new RegExp(`^${LABEL_KEY}:[\\s\\S]{0,${L.maxLabelValueChars}}$`),
          'label must be key:value, as labels are',
        ),
      ),
  ),
  limit: z._default(
    z.coerce
      .number({ error: LIMIT_RULE })
      .check(z.int(LIMIT_RULE), z.gte(1, LIMIT_RULE), z.lte(L.maxListLimit, LIMIT_RULE)),
    L.defaultListLimit,
  ),
  cursor: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.maxLength(L.maxCursorChars, `must be at most ${L.maxCursorChars} characters`)),
  ),
});
export type ListWorkspacesQuery = z.infer<typeof listWorkspacesQuery>;

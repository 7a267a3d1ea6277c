import { randomBytes } from 'node:crypto';

const CONVERSATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const isValidConversationId = (s: unknown): s is string =>
  typeof s === 'string' && CONVERSATION_ID.test(s);

/** Opaque, unguessable, sortable-enough workspace id. */
export const newWorkspaceId = () => `ws_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;

/** The per-workspace agent token. */
export const newAgentToken = () => randomBytes(24).toString('base64url');

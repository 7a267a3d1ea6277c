import { randomBytes } from 'node:crypto';

/** The conversation id rule is the public API's, in @berth/protocol. */
export { isValidConversationId } from '@berth/protocol';

/**
 * What a workspace id can look like: `ws_` and up to 64 of `[A-Za-z0-9_]` (what {@link newWorkspaceId} makes,
 * with room to spare). Checked before the store is asked, so an id of any other shape or length (DynamoDB
 * refuses keys over 2 KiB) is simply unknown (404), never a store error.
 */
const WORKSPACE_ID = /^ws_[A-Za-z0-9_]{1,64}$/;

export const isValidWorkspaceId = (s: unknown): s is string => typeof s === 'string' && WORKSPACE_ID.test(s);

/** Opaque, unguessable, sortable-enough workspace id. */
export const newWorkspaceId = () => `ws_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;

/**
 * The per-workspace agent token: random, made once per workspace (acquire), and accepted by that workspace's
 * agent only: no other agent, API, proxy or store takes it. The control plane sends it only to that
 * workspace's own endpoint, and never for anything the workspace could turn into a grant (lease extension
 * never asks the agent: model/lease.ts). So a workspace gains nothing when a fake agent of its own receives
 * it: the token commands that one workspace, whose agent memory (and so its token) the workspace can read
 * anyway.
 */

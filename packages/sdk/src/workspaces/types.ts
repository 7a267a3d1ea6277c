import type { WorkspaceStatus, WorkspaceView } from '@berth/protocol/client';

/** Lifecycle states: `provisioning → ready ⇄ paused`, `ready → stopping → stopped`, any → `failed`. */
export type { WorkspaceStatus };

/** API.md's workspace object (the protocol's `WorkspaceView`): what Berth answers. Times are ISO-8601. */
export type WorkspaceInfo = WorkspaceView;

// The request options below follow the protocol's request schemas, whose types are inferred by zod (which
// stays out of the SDK's bundle, types included); test/server-types.test.ts pins them to those schemas.

export interface CreateWorkspaceOptions {
  /** 1-128 characters of `[A-Za-z0-9._:-]`. One live workspace per conversation: creating again gives it back. */
  conversationId: string;
  template?: string;
  /** Lease length, 60..86400; default the server's (30 minutes). */
  ttlSeconds?: number;
  labels?: Record<string, string>;
  /** Answer once the workspace is ready (default true); false answers at once with `provisioning`. */
  wait?: boolean;
}

export interface ListWorkspacesOptions {
  status?: WorkspaceStatus;
  /** `key:value`. */
  label?: string;
  /** Page size, 1..100 (server default 50). */
  limit?: number;
}

export interface ListPageOptions extends ListWorkspacesOptions {
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

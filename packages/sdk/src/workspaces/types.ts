/** Lifecycle states: `provisioning → ready ⇄ paused`, `ready → stopping → stopped`, any → `failed`. */
export type WorkspaceStatus = 'provisioning' | 'ready' | 'paused' | 'stopping' | 'stopped' | 'failed';

/** API.md's workspace object: what Berth answers for a workspace. Times are ISO-8601 strings. */
export interface WorkspaceInfo {
  /** Opaque (`ws_...`). */
  id: string;
  conversationId: string;
  status: WorkspaceStatus;
  template: string;
  labels: Record<string, string>;
  createdAt: string;
  readyAt: string | null;
  /** End of the lease; `keepalive` moves it. */
  expiresAt: string;
  lastActiveAt: string;
  /** Why it ended: `deleted`, `expired`, `idle`, `oom`, `crashed`, `orphan`, `task_stopped:<why>`, ... */
  terminationReason: string | null;
  runtime: 'docker' | 'ecs';
  fromPool: boolean;
}

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

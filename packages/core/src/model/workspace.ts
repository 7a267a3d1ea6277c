import type { RuntimeKind, WorkspaceStatus, WorkspaceView } from '@berth/protocol';

/** Lifecycle states of a workspace (ARCHITECTURE.md §3): the public API's list, in @berth/protocol. */
export { WORKSPACE_STATUSES, type WorkspaceStatus } from '@berth/protocol';
/** The public view of a workspace and its runtime kind are the API's types (API.md "Workspace object"). */
export type { RuntimeKind, WorkspaceView } from '@berth/protocol';

/** Where the control plane reaches a workspace's agent: a Unix socket (local) or TCP (ECS awsvpc). */
export type AgentEndpoint =
  | { kind: 'uds'; socketPath: string }
  | { kind: 'http'; host: string; port: number };

/**
 * Why a workspace ended. `task_stopped:<reason>` and `provision_failed:<why>` carry detail after the colon.
 */
export type TerminationReason =
  | 'deleted'
  | 'expired'
  | 'idle'
  | 'oom'
  | 'crashed'
  | 'orphan'
  /** A warm pool member replaced (too old, or built from an older template or image); never a tenant's. */
  | 'drained'
  | `task_stopped:${string}`
  | `provision_failed:${string}`;

/**
 * The stored workspace. All times are epoch milliseconds. `version` increases by one on every write and
 * every write is conditional on it, so concurrent writers never lose each other's updates.
 */
export interface WorkspaceRecord {
  id: string;
  tenantId: string;
  conversationId: string;
  status: WorkspaceStatus;
  version: number;
  template: string;
  labels: Record<string, string>;
  createdAt: number;
  readyAt: number | null;
  /** Lease end while live; once ended, when the record itself may be deleted (DynamoDB TTL). */
  expiresAt: number;
  lastActiveAt: number;
  /** Lease length used when keepalive gives none. */
  ttlSeconds: number;
  /** A transitional state (provisioning, stopping) must move on before this, or the sweep moves it. */
  deadlineAt: number | null;
  terminationReason: TerminationReason | null;
  runtime: RuntimeKind;
  fromPool: boolean;
  /**
   * Which settings of its template (image included) the workspace was started from (pool/pool-member.ts):
   * a warm member from older settings is drained, never claimed. '' for records older than the field.
   */
  templateVersion: string;
  /** Container id (Docker) or task ARN (ECS); null until started. */
  taskRef: string | null;
  endpoint: AgentEndpoint | null;
}

/** Fields a conditional update may change. */
export type WorkspaceChanges = Partial<
  Pick<
    WorkspaceRecord,
    | 'status'
    | 'readyAt'
    | 'expiresAt'
    | 'lastActiveAt'
    | 'ttlSeconds'
    | 'deadlineAt'
    | 'terminationReason'
    | 'taskRef'
    | 'endpoint'
    | 'labels'
  >
>;

const iso = (ms: number) => new Date(ms).toISOString();

export function toView(ws: WorkspaceRecord): WorkspaceView {
  return {
    id: ws.id,
    conversationId: ws.conversationId,
    status: ws.status,
    template: ws.template,
    labels: ws.labels,
    createdAt: iso(ws.createdAt),
    readyAt: ws.readyAt === null ? null : iso(ws.readyAt),
    expiresAt: iso(ws.expiresAt),
    lastActiveAt: iso(ws.lastActiveAt),
    terminationReason: ws.terminationReason,
    runtime: ws.runtime,
    fromPool: ws.fromPool,
  };
}

/** Which conversation owns which workspace: at most one live workspace per (tenant, conversation). */
export interface ConversationBinding {
  tenantId: string;
  conversationId: string;
  workspaceId: string;
}

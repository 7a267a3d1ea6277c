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
  /** A warm pool member whose task a hibernated workspace took over when it resumed (`adoptedBy`). */
  | 'adopted'
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
  /**
   * The identity its task was started with, when that is not its own id: a hibernated workspace resumed on a
   * warm pool member's task (pool/adopt-member.ts). That task's agent accepts tokens signed for this
   * id only, and its proxy relay is administered under it. Absent: the workspace's own id.
   */
  agentId?: string | null;
  /**
   * On a pool member ended `adopted`: the workspace that took over its task. The task's events and listings
   * still name the member (ECS startedBy, tags), so whoever maps a task to its workspace follows this.
   */
  adoptedBy?: string;
}

/** The identity a workspace's agent (and proxy relay) were started with: tokens for it are signed for this. */
export const agentIdOf = (ws: Pick<WorkspaceRecord, 'id' | 'agentId'>) => ws.agentId ?? ws.id;

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
    | 'agentId'
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

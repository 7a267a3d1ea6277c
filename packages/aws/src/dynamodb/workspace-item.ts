import {
  isPoolMember,
  isTerminal,
  type AgentEndpoint,
  type ConversationBinding,
  type RuntimeKind,
  type TerminationReason,
  type WorkspaceChanges,
  type WorkspaceRecord,
  type WorkspaceStatus,
} from '@berth/core';

/**
 * Mapping between the domain's records and the table's items. Pure functions, so the key layout can be
 * tested without a database. Layout (README.md):
 *
 * - workspace: `pk=WS#<id>`, `sk=WS`, every record field as a top-level attribute, except `expiresAt`,
 *   which is the DynamoDB TTL attribute in epoch seconds (rounded up, so TTL never deletes early); the exact
 *   epoch ms are in `expiresAtMs`.
 * - conversation binding: `pk=CONV#<tenantId>#<conversationId>`, `sk=CONV`.
 *
 * Index keys live on the workspace item:
 * - byTenant: `gsi1pk=TENANT#<tenantId>`, `gsi1sk=<createdAt padded>#<id>`.
 * - liveByExpiry: `gsi2pk=LIVE` only while non-terminal, `gsi2sk=<expiresAt padded>#<id>` always.
 * - liveByDeadline: `gsi3pk=LIVE` only while non-terminal, `gsi3sk=<deadlineAt padded>#<id>` only while
 *   `deadlineAt` is set.
 * - byPool: `gsi4pk=POOL#<template>` only on an unclaimed, live warm pool member (written with the member;
 *   a claim puts the whole item anew without it, an end removes it), `gsi4sk=<createdAt padded>#<id>`.
 * - pool demand: `pk=POOLDEMAND#<template>`, `sk=<minute padded>`, counters `claims`/`misses`, TTL a day on.
 *
 * A GSI holds an item only when both its key attributes are present, so each of the three due-time inputs
 * (status, expiresAt, deadlineAt) maps onto its own attributes and an update never needs the stored values
 * of the fields it does not change (no read before write; see {@link updatePlan}).
 */

export const WORKSPACE_SK = 'WS' as const;
export const BINDING_SK = 'CONV' as const;
export const LIVE_PK = 'LIVE' as const;

/** Item type marker, so a stray item under a workspace key is never taken for a workspace. */
export const ITEM_TYPE = { workspace: 'workspace', binding: 'binding' } as const;

/** Width of zero-padded epoch ms in sort keys: Number.MAX_SAFE_INTEGER has 16 digits. */
const MS_WIDTH = 16;

/** Fixed-width epoch ms, so string order equals numeric order in sort keys. */
export function padMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not an epoch ms timestamp: ${ms}`);
  return ms.toString().padStart(MS_WIDTH, '0');
}

/** DynamoDB TTL wants epoch seconds; rounding up keeps TTL from ever deleting before `expiresAt`. */
export const ttlEpochSeconds = (ms: number) => Math.ceil(ms / 1000);

export const workspaceKey = (id: string) => ({ pk: `WS#${id}`, sk: WORKSPACE_SK });
export const bindingKey = (tenantId: string, conversationId: string) => ({
  pk: `CONV#${tenantId}#${conversationId}`,
  sk: BINDING_SK,
});
export const tenantPartition = (tenantId: string) => `TENANT#${tenantId}`;
export const poolPartition = (template: string) => `POOL#${template}`;
export const demandPartition = (template: string) => `POOLDEMAND#${template}`;

const timeSortKey = (ms: number, id: string) => `${padMs(ms)}#${id}`;

/** The stored form of a workspace. */
export interface WorkspaceItem {
  pk: string;
  sk: typeof WORKSPACE_SK;
  type: typeof ITEM_TYPE.workspace;
  id: string;
  tenantId: string;
  conversationId: string;
  status: WorkspaceStatus;
  version: number;
  template: string;
  labels: Record<string, string>;
  createdAt: number;
  readyAt: number | null;
  /** TTL attribute, epoch seconds. */
  expiresAt: number;
  /** The record's `expiresAt`, epoch ms. */
  expiresAtMs: number;
  lastActiveAt: number;
  ttlSeconds: number;
  deadlineAt: number | null;
  terminationReason: TerminationReason | null;
  runtime: RuntimeKind;
  fromPool: boolean;
  templateVersion: string;
  taskRef: string | null;
  endpoint: AgentEndpoint | null;
  agentId?: string | null;
  adoptedBy?: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk?: typeof LIVE_PK;
  gsi2sk: string;
  gsi3pk?: typeof LIVE_PK;
  gsi3sk?: string;
  gsi4pk?: string;
  gsi4sk?: string;
}

/** The stored form of a conversation binding. */
export interface BindingItem extends ConversationBinding {
  pk: string;
  sk: typeof BINDING_SK;
  type: typeof ITEM_TYPE.binding;
}

export function toWorkspaceItem(ws: WorkspaceRecord): WorkspaceItem {
  const live = !isTerminal(ws.status);
  return {
    ...workspaceKey(ws.id),
    type: ITEM_TYPE.workspace,
    id: ws.id,
    tenantId: ws.tenantId,
    conversationId: ws.conversationId,
    status: ws.status,
    version: ws.version,
    template: ws.template,
    labels: { ...ws.labels },
    createdAt: ws.createdAt,
    readyAt: ws.readyAt,
    expiresAt: ttlEpochSeconds(ws.expiresAt),
    expiresAtMs: ws.expiresAt,
    lastActiveAt: ws.lastActiveAt,
    ttlSeconds: ws.ttlSeconds,
    deadlineAt: ws.deadlineAt,
    terminationReason: ws.terminationReason,
    runtime: ws.runtime,
    fromPool: ws.fromPool,
    templateVersion: ws.templateVersion,
    taskRef: ws.taskRef,
    endpoint: ws.endpoint,
    ...(ws.agentId && { agentId: ws.agentId }),
    ...(ws.adoptedBy && { adoptedBy: ws.adoptedBy }),
    gsi1pk: tenantPartition(ws.tenantId),
    gsi1sk: timeSortKey(ws.createdAt, ws.id),
    ...(live ? { gsi2pk: LIVE_PK } : {}),
    gsi2sk: timeSortKey(ws.expiresAt, ws.id),
    ...(live ? { gsi3pk: LIVE_PK } : {}),
    ...(ws.deadlineAt !== null ? { gsi3sk: timeSortKey(ws.deadlineAt, ws.id) } : {}),
    ...(live && isPoolMember(ws)
      ? { gsi4pk: poolPartition(ws.template), gsi4sk: timeSortKey(ws.createdAt, ws.id) }
      : {}),
  };
}

export const isWorkspaceItem = (item: object | undefined): item is WorkspaceItem =>
  (item as { type?: unknown } | undefined)?.type === ITEM_TYPE.workspace;

/** The record stored in `item`; index keys and the seconds TTL are dropped. */
export function fromWorkspaceItem(item: WorkspaceItem): WorkspaceRecord {
  return {
    id: item.id,
    tenantId: item.tenantId,
    conversationId: item.conversationId,
    status: item.status,
    version: item.version,
    template: item.template,
    labels: item.labels ?? {},
    createdAt: item.createdAt,
    readyAt: item.readyAt ?? null,
    expiresAt: item.expiresAtMs,
    lastActiveAt: item.lastActiveAt,
    ttlSeconds: item.ttlSeconds,
    deadlineAt: item.deadlineAt ?? null,
    terminationReason: item.terminationReason ?? null,
    runtime: item.runtime,
    fromPool: item.fromPool,
    templateVersion: item.templateVersion ?? '',
    taskRef: item.taskRef ?? null,
    endpoint: item.endpoint ?? null,
    ...(item.agentId && { agentId: item.agentId }),
    ...(item.adoptedBy && { adoptedBy: item.adoptedBy }),
    // Items written before agent tokens were signed carry an `agentToken` attribute: it is ignored.
  };
}

export function toBindingItem(b: ConversationBinding): BindingItem {
  return {
    ...bindingKey(b.tenantId, b.conversationId),
    type: ITEM_TYPE.binding,
    tenantId: b.tenantId,
    conversationId: b.conversationId,
    workspaceId: b.workspaceId,
  };
}

export const fromBindingItem = (item: BindingItem): ConversationBinding => ({
  tenantId: item.tenantId,
  conversationId: item.conversationId,
  workspaceId: item.workspaceId,
});

/** Attribute writes an update makes, besides `version = version + 1`. */
export interface UpdatePlan {
  set: Record<string, unknown>;
  remove: string[];
}

/**
 * What to write for `changes` to workspace `id`. Every derived attribute (TTL seconds, index keys) depends
 * on exactly one changed field, so the plan needs neither the stored item nor a read:
 * `expiresAt` → ms, TTL seconds and gsi2sk; `deadlineAt` → gsi3sk (removed when null);
 * `status` → gsi2pk/gsi3pk (removed when terminal, so the item leaves both live indexes).
 */
export function updatePlan(id: string, changes: WorkspaceChanges): UpdatePlan {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [field, value] of Object.entries(changes) as [keyof WorkspaceChanges, unknown][]) {
    if (value === undefined) continue;
    switch (field) {
      case 'expiresAt': {
        const ms = value as number;
        set.expiresAtMs = ms;
        set.expiresAt = ttlEpochSeconds(ms);
        set.gsi2sk = timeSortKey(ms, id);
        break;
      }
      case 'deadlineAt':
        set.deadlineAt = value;
        if (value === null) remove.push('gsi3sk');
        else set.gsi3sk = timeSortKey(value as number, id);
        break;
      case 'status':
        set.status = value;
        // An ended member leaves its pool's index with the live ones.
        if (isTerminal(value as WorkspaceStatus)) remove.push('gsi2pk', 'gsi3pk', 'gsi4pk');
        else Object.assign(set, { gsi2pk: LIVE_PK, gsi3pk: LIVE_PK });
        break;
      case 'labels':
        set.labels = { ...(value as Record<string, string>) };
        break;
      case 'agentId':
        if (value === null) remove.push('agentId');
        else set.agentId = value;
        break;
      default:
        set[field] = value;
    }
  }
  return { set, remove };
}

/** When a live workspace needs the sweep: its lease end or its transitional deadline, whichever is first. */
export const dueAt = (ws: WorkspaceRecord) =>
  ws.deadlineAt === null ? ws.expiresAt : Math.min(ws.expiresAt, ws.deadlineAt);

import { createHash } from 'node:crypto';
import type { BerthConfig, TemplateConfig } from '../config.js';
import { newWorkspaceId } from '../model/ids.js';
import type { RuntimeKind, WorkspaceRecord } from '../model/workspace.js';

/**
 * The owner of every warm pool member. API tenants match `[A-Za-z0-9._-]{1,64}` (auth/tenant-resolver), so no
 * key can ever name this one: a member is nobody's until a claim moves it to a tenant in one conditional write.
 */
export const POOL_TENANT = '~pool';

export const isPoolMember = (ws: Pick<WorkspaceRecord, 'tenantId'>) => ws.tenantId === POOL_TENANT;

/** A warm member can be claimed: started, healthy, unclaimed (ready, or frozen where the runtime freezes). */
export const isWarm = (ws: WorkspaceRecord) =>
  isPoolMember(ws) && (ws.status === 'ready' || ws.status === 'paused');

/**
 * A short fingerprint of what a template starts (image, limits). The pool size is left out: resizing a pool
 * must not drain it. A member whose version differs from its template's is drained, never claimed.
 */
export function templateVersion(template: TemplateConfig): string {
  const { image, cpus, memoryMiB, pids, diskMiB } = template;
  const canonical = JSON.stringify([image, cpus, memoryMiB, pids, diskMiB]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** A new member of `template`'s pool, provisioning. Its lease is its maximum age: the sweep ends it past that. */
export function newPoolMember(
  config: BerthConfig,
  runtime: RuntimeKind,
  templateName: string,
  now: number,
): WorkspaceRecord {
  const template = config.templates[templateName];
  if (!template) throw new Error(`unknown template ${templateName}`);
  const id = newWorkspaceId();
  return {
    id,
    tenantId: POOL_TENANT,
    conversationId: id,
    status: 'provisioning',
    version: 1,
    template: templateName,
    labels: {},
    createdAt: now,
    readyAt: null,
    expiresAt: now + config.pool.maxAgeSeconds * 1000,
    lastActiveAt: now,
    ttlSeconds: config.pool.maxAgeSeconds,
    deadlineAt: now + config.provisioning.deadlineMs,
    terminationReason: null,
    runtime,
    fromPool: true,
    templateVersion: templateVersion(template),
    taskRef: null,
    endpoint: null,
  };
}

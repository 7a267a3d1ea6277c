import { randomBytes } from 'node:crypto';
import { newWorkspaceId, type WorkspaceRecord } from '@berth/core';

/** A fresh provisioning workspace record (new id and conversation) created at `now`; `overrides` win. */
export function makeWorkspace(overrides: Partial<WorkspaceRecord> = {}, now = Date.now()): WorkspaceRecord {
  return {
    id: newWorkspaceId(),
    tenantId: 'tenant-a',
    conversationId: `conv-${randomBytes(6).toString('hex')}`,
    status: 'provisioning',
    version: 1,
    template: 'default',
    labels: {},
    createdAt: now,
    readyAt: null,
    expiresAt: now + 3_600_000,
    lastActiveAt: now,
    ttlSeconds: 3600,
    deadlineAt: now + 120_000,
    terminationReason: null,
    runtime: 'docker',
    fromPool: false,
    templateVersion: '',
    taskRef: null,
    endpoint: null,
    ...overrides,
  };
}

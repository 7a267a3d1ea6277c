import { checkTtl } from '../config.js';
import { ApiError } from '../errors.js';
import { newWorkspaceId } from '../model/ids.js';
import { leaseEnd } from '../model/lease.js';
import { isLive, isTerminal } from '../model/lifecycle.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { stopWorkspace } from './release.js';
import { waitUntilSettled } from './wait-until-settled.js';
import { METRIC } from '../observability/metric-names.js';

export interface AcquireInput {
  tenantId: string;
  conversationId: string;
  template?: string;
  ttlSeconds?: number;
  labels?: Record<string, string>;
  wait?: boolean;
}

export interface AcquireResult {
  workspace: WorkspaceRecord;
  /** False when the conversation already had a live workspace (the call was a repeat). */
  created: boolean;
}

/**
 * The workspace of a conversation: the live one if there is one, else a new one. One live workspace per
 * conversation holds under any number of concurrent calls: the new record and the conversation binding are
 * written in one conditional transaction, and a loser re-reads and answers the winner's workspace.
 */
export async function acquireWorkspace(deps: ServiceDeps, input: AcquireInput): Promise<AcquireResult> {
  const template = input.template ?? 'default';
  if (!deps.config.templates[template]) {
    throw new ApiError('unprocessable', `unknown template "${template}"`);
  }
  const ttlSeconds = checkTtl(deps.config, input.ttlSeconds) ?? deps.config.ttl.defaultSeconds;

  for (let attempt = 0; attempt < 10; attempt++) {
    const now = deps.clock.now();
    let replaces: string | null = null;
    let predecessor: string | null = null;
    const binding = await deps.store.getBinding(input.tenantId, input.conversationId);
    if (binding) {
      const bound = await deps.store.get(binding.workspaceId, { now, includeExpired: true });
      if (bound && isLive(bound, now)) {
        const workspace = input.wait === false ? bound : await waitUntilSettled(deps, bound);
        return { workspace, created: false };
      }
      if (bound && !isTerminal(bound.status)) {
        // Its lease ran out but the sweep has not ended it yet (or a delete is under way): end it now, so its
        // files are saved before the successor restores them (a later sweep would overwrite the newer
        // snapshot with these older files). Deployed, its stop finishes in the stop worker: the successor's
        // provisioning waits for it (AwaitPredecessor).
        const previous = await stopWorkspace(deps, bound.id, 'expired');
        if (!isTerminal(previous.status)) predecessor = previous.id;
      }
      replaces = binding.workspaceId;
    }

    const record: WorkspaceRecord = {
      id: newWorkspaceId(),
      tenantId: input.tenantId,
      conversationId: input.conversationId,
      status: 'provisioning',
      version: 1,
      template,
      labels: input.labels ?? {},
      createdAt: now,
      readyAt: null,
      expiresAt: leaseEnd(deps.config, now, ttlSeconds),
      lastActiveAt: now,
      ttlSeconds,
      deadlineAt: now + deps.config.provisioning.deadlineMs,
      terminationReason: null,
      runtime: deps.runtime.kind,
      fromPool: false,
      taskRef: null,
      endpoint: null,
    };
    const created = await deps.store.createForConversation(record, { replaces });
    if (!created.ok) continue; // somebody else bound the conversation first: answer theirs

    deps.log.info('workspace provisioning', {
      workspaceId: record.id,
      tenantId: record.tenantId,
      conversationId: record.conversationId,
      template,
      replaces,
    });
    deps.metrics.count(METRIC.WorkspaceCreated);
    // A predecessor still stopping saves the files this one restores: provisioning waits for it to end.
    await deps.provisioner.start({
      workspaceId: record.id,
      ...(predecessor && { predecessorId: predecessor }),
    });
    const workspace = input.wait === false ? record : await waitUntilSettled(deps, record);
    if (workspace.status === 'ready') deps.metrics.duration(METRIC.AcquireLatency, deps.clock.now() - now);
    return { workspace, created: true };
  }
  throw new ApiError('conflict', 'the conversation is changing too fast; retry', { retryAfterSeconds: 1 });
}

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
import { bindIdentity } from '../pool/bind-identity.js';
import { claimFromPool, lookUpPool } from '../pool/claim.js';
import { templateVersion } from '../pool/pool-member.js';
import { admitColdStart, admitTenant } from './admission.js';

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
 * The workspace of a conversation: the live one if there is one, else a new one — a warm pool member claimed
 * (pool/claim.ts) or, when the pool has none, a cold start. One live workspace per conversation holds under any
 * number of concurrent calls: the new record (or the claimed member) and the conversation binding are written in
 * one conditional transaction, and a loser re-reads and answers the winner's workspace. A new workspace is
 * admitted first (services/admission.ts): a tenant at its quota, or a cold start with too long a wait ahead,
 * is refused with Retry-After before anything is written.
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
    // What a new workspace needs, read at once: the tenant's quota; the pool's members and the conversation's
    // saved files. A predecessor still stopping is saving the files this workspace restores: only a cold start
    // waits for it, so then no pool.
    const claimRequest = { ...input, template, labels: input.labels ?? {}, ttlSeconds, replaces };
    const [, pool] = await Promise.all([
      admitTenant(deps, input.tenantId, now),
      predecessor ? null : lookUpPool(deps, claimRequest),
    ]);
    const expiresAt = leaseEnd(deps.config, now, ttlSeconds);

    const claim = await claimFromPool(deps, { ...claimRequest, expiresAt }, pool);
    if (claim.kind === 'conversation_bound') continue;
    if (claim.kind === 'claimed') {
      const [bound] = await Promise.all([
        bindIdentity(deps, claim.workspace, { thawed: claim.thawed, savedFiles: pool!.savedFiles }),
        poolDemand(deps, template, 'claims'),
      ]);
      deps.metrics.count(METRIC.WorkspaceCreated);
      // Ready already, unless its files are being restored (the provisioning machine does that).
      const workspace =
        input.wait === false || bound.status !== 'provisioning' ? bound : await waitUntilSettled(deps, bound);
      if (workspace.status === 'ready') deps.metrics.duration(METRIC.AcquireLatency, deps.clock.now() - now);
      return { workspace, created: true };
    }
    await admitColdStart(deps, input.tenantId);

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
      expiresAt,
      lastActiveAt: now,
      ttlSeconds,
      deadlineAt: now + deps.config.provisioning.deadlineMs,
      terminationReason: null,
      runtime: deps.runtime.kind,
      fromPool: false,
      templateVersion: templateVersion(deps.config.templates[template]!),
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
    await Promise.all([
      // A predecessor still stopping saves the files this one restores: provisioning waits for it to end.
      deps.provisioner.start({ workspaceId: record.id, ...(predecessor && { predecessorId: predecessor }) }),
      poolDemand(deps, template, 'misses'),
    ]);
    const workspace = input.wait === false ? record : await waitUntilSettled(deps, record);
    if (workspace.status === 'ready') deps.metrics.duration(METRIC.AcquireLatency, deps.clock.now() - now);
    return { workspace, created: true };
  }
  throw new ApiError('conflict', 'the conversation is changing too fast; retry', { retryAfterSeconds: 1 });
}

/**
 * Counts a create in its template's demand (the adaptive target's input) and asks for a refill, which replaces
 * a claimed member or grows the pool after a miss. Neither may fail the create: both are logged and left.
 */
async function poolDemand(deps: ServiceDeps, template: string, kind: 'claims' | 'misses') {
  if (!deps.config.templates[template]?.pool.max) return;
  deps.metrics.count(kind === 'claims' ? METRIC.PoolClaims : METRIC.PoolMisses);
  const now = deps.clock.now();
  await Promise.all([
    deps.store.recordPoolDemand(template, now, { [kind]: 1 }),
    deps.poolRefiller?.request(),
  ]).catch((e: unknown) => deps.log.warn('pool demand not recorded', { template, error: String(e) }));
}

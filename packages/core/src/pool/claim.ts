import type { WorkspaceRecord } from '../model/workspace.js';
import { METRIC } from '../observability/metric-names.js';
import { conditionalUpdate } from '../services/conditional-update.js';
import type { ServiceDeps } from '../services/deps.js';
import { endWorkspace } from '../services/end-workspace.js';
import { failureReason } from '../services/provision-steps.js';
import { snapshotPrefix } from '../ports/blob-store.js';
import { isWarm, templateVersion } from './pool-member.js';

export interface ClaimRequest {
  tenantId: string;
  conversationId: string;
  template: string;
  labels: Record<string, string>;
  ttlSeconds: number;
  /** The lease end of the claimed workspace. */
  expiresAt: number;
  /** The conversation's ended workspace the binding may still point at. */
  replaces: string | null;
}

export type ClaimOutcome =
  | { kind: 'claimed'; workspace: WorkspaceRecord }
  /** Somebody bound the conversation meanwhile: answer theirs. */
  | { kind: 'conversation_bound' }
  /** No warm member could be had: start cold. */
  | { kind: 'miss' };

/** A member this close to its maximum age is left to be drained: a tenant's lease should not start on it. */
const MIN_REMAINING_AGE_MS = 60_000;
/** Members looked at per claim: more than any pool a claim could need to walk through. */
const CANDIDATES = 1000;

/**
 * Takes a warm member of the template's pool for a conversation. Each attempt is one conditional transaction
 * (the member at the version seen, still unclaimed → the tenant's, plus the conversation's binding), so no
 * member is ever claimed twice; a claimer that loses a member tries the next, in an order of its own (random,
 * so claimers spread over the pool instead of queueing on its oldest member). Once claimed, the workspace gets
 * its identity (pool/claim.ts `bindIdentity`) before it is ready.
 */
export async function claimFromPool(deps: ServiceDeps, req: ClaimRequest): Promise<ClaimOutcome> {
  const pool = deps.config.templates[req.template]?.pool;
  if (!pool || pool.max === 0) return { kind: 'miss' };
  const now = deps.clock.now();
  const version = templateVersion(deps.config.templates[req.template]!);
  const candidates = (await deps.store.listPool(req.template, CANDIDATES)).filter(
    (m) =>
      isWarm(m) &&
      m.templateVersion === version &&
      m.taskRef !== null &&
      m.endpoint !== null &&
      m.expiresAt > now + MIN_REMAINING_AGE_MS,
  );
  for (const member of shuffled(candidates)) {
    const claimed: WorkspaceRecord = {
      ...member,
      tenantId: req.tenantId,
      conversationId: req.conversationId,
      // Provisioning until its identity is bound: if this claimer dies now, the sweep fails it at the deadline
      // and the conversation's next create gets another.
      status: 'provisioning',
      version: member.version + 1,
      labels: req.labels,
      createdAt: now,
      readyAt: null,
      expiresAt: req.expiresAt,
      lastActiveAt: now,
      ttlSeconds: req.ttlSeconds,
      deadlineAt: now + deps.config.provisioning.deadlineMs,
      fromPool: true,
    };
    const result = await deps.store.claimForConversation(claimed, {
      memberVersion: member.version,
      replaces: req.replaces,
    });
    if (result.ok) {
      deps.log.info('warm workspace claimed', {
        workspaceId: claimed.id,
        tenantId: req.tenantId,
        conversationId: req.conversationId,
        template: req.template,
      });
      return { kind: 'claimed', workspace: await bindIdentity(deps, claimed, member.status === 'paused') };
    }
    if (result.reason === 'conversation_bound') return { kind: 'conversation_bound' };
  }
  return { kind: 'miss' };
}

/**
 * What makes a claimed member the conversation's: thawed (locally members are frozen), its proxy admitted
 * (deployed: the egress credential for this workspace, which a member never held), the conversation's files
 * restored from its snapshot, then ready. The agent needs nothing: its calls carry tokens signed for this
 * workspace id, and the tenant's egress rules are the workspace's own (`PUT /egress`), read per request.
 * A conversation with files has them restored by the provisioning state machine (entered at RestoreFiles):
 * a restore may be gigabytes, too long for an API request; the caller waits for ready as for a cold start.
 * Any failure fails the workspace with the reason, as a cold start's would, and stops its container.
 */
async function bindIdentity(deps: ServiceDeps, claimed: WorkspaceRecord, frozen: boolean) {
  const started = deps.clock.now();
  try {
    if (frozen && claimed.taskRef) await deps.runtime.resume(claimed.taskRef);
    await deps.egress?.admit?.(claimed);
    // Any object under the conversation's prefix (a snapshot, or a legacy one without manifest) is files to restore.
    const saved = await deps.blobs.list(snapshotPrefix(claimed.tenantId, claimed.conversationId));
    if (saved.length > 0) {
      // A run of its own: the member's first execution already has the workspace's name.
      await deps.provisioner.start({ workspaceId: claimed.id, claimed: true, run: claimed.version });
      return claimed;
    }
    const now = deps.clock.now();
    const { record } = await conditionalUpdate(deps, claimed.id, (ws) =>
      ws.status === 'provisioning'
        ? { status: 'ready', readyAt: now, deadlineAt: null, lastActiveAt: now }
        : null,
    );
    deps.metrics.duration(METRIC.PoolClaimLatency, now - started);
    return record;
  } catch (e) {
    const name = (e as { name?: string } | null)?.name ?? 'Error';
    deps.log.error('binding a claimed workspace failed', {
      workspaceId: claimed.id,
      tenantId: claimed.tenantId,
      conversationId: claimed.conversationId,
      error: String(e),
    });
    return endWorkspace(deps, claimed.id, 'failed', `provision_failed:${failureReason(`claim_${name}`)}`);
  }
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from '../services/deps.js';
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
  /** Claimed, its identity still to bind (pool/bind-identity.ts); `thawed` settles once it runs again. */
  | { kind: 'claimed'; workspace: WorkspaceRecord; thawed: Promise<void> }
  /** Somebody bound the conversation meanwhile: answer theirs. */
  | { kind: 'conversation_bound' }
  /** No warm member could be had: start cold. */
  | { kind: 'miss' };

/** A member this close to its maximum age is left to be drained: a tenant's lease should not start on it. */
const MIN_REMAINING_AGE_MS = 60_000;
/** Members looked at per claim: more than any pool a claim could need to walk through. */
const CANDIDATES = 1000;

/** What a claim needs to know before it tries: the warm members it may take, and the conversation's files. */
export interface PoolLookup {
  candidates: WorkspaceRecord[];
  /** The conversation has files saved (a snapshot to restore once claimed). */
  savedFiles: boolean;
}

/**
 * The template's warm members a claim may take: live, unclaimed, of the template's current settings, with a
 * task and an endpoint, and not about to be drained. Null when the template keeps no pool.
 */
export async function warmMembers(deps: ServiceDeps, template: string): Promise<WorkspaceRecord[] | null> {
  const settings = deps.config.templates[template];
  if (!settings?.pool.max) return null;
  const version = templateVersion(settings);
  const members = await deps.store.listPool(template, CANDIDATES);
  const now = deps.clock.now();
  return members.filter(
    (m) =>
      isWarm(m) &&
      m.templateVersion === version &&
      m.taskRef !== null &&
      m.endpoint !== null &&
      m.expiresAt > now + MIN_REMAINING_AGE_MS,
  );
}

/**
 * Reads, at once, the template's warm members (`warmMembers`) and whether the conversation has files saved
 * (any object under its prefix: a snapshot, or a legacy one without manifest). Null when the template keeps
 * no pool. Read before the claim so that both cost one round trip, not two in a row.
 */
export async function lookUpPool(
  deps: ServiceDeps,
  req: Pick<ClaimRequest, 'tenantId' | 'conversationId' | 'template'>,
): Promise<PoolLookup | null> {
  const [candidates, saved] = await Promise.all([
    warmMembers(deps, req.template),
    deps.blobs.list(snapshotPrefix(req.tenantId, req.conversationId)),
  ]);
  return candidates && { candidates, savedFiles: saved.length > 0 };
}

/** Thaws a member that waits frozen (locally); a no-op for one that runs (ECS members always do). */
export const thaw = (deps: ServiceDeps, member: WorkspaceRecord): Promise<void> =>
  member.status === 'paused' && member.taskRef ? deps.runtime.resume(member.taskRef) : Promise.resolve();

/**
 * Takes a warm member of the template's pool for a conversation. Each attempt is one conditional transaction
 * (the member at the version seen, still unclaimed → the tenant's, plus the conversation's binding), so no
 * member is ever claimed twice; a claimer that loses a member tries the next, in an order of its own (random,
 * so claimers spread over the pool instead of queueing on its oldest member). Once claimed, the workspace gets
 * its identity (pool/bind-identity.ts) before it is ready.
 */
export async function claimFromPool(
  deps: ServiceDeps,
  req: ClaimRequest,
  lookup: PoolLookup | null,
): Promise<ClaimOutcome> {
  if (!lookup) return { kind: 'miss' };
  const now = deps.clock.now();
  for (const member of claimOrder(lookup.candidates)) {
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
    // A frozen member is thawed while the claim is written, not after: the thaw is most of a claim's time.
    // A claimer that loses the member leaves it thawed: still warm, idle, and its winner's thaw a no-op.
    const thawed = thaw(deps, member);
    thawed.catch(() => undefined); // awaited by the winner; a loser's failed thaw is the member's own business
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
      return { kind: 'claimed', workspace: claimed, thawed };
    }
    if (result.reason === 'conversation_bound') return { kind: 'conversation_bound' };
  }
  return { kind: 'miss' };
}

/**
 * The order a claimer tries members in: thawed ones first (pool.thawedAhead: nothing to wait for), each group
 * in a random order of its own, so claimers spread over the pool instead of queueing on one member.
 */
export const claimOrder = (members: WorkspaceRecord[]) =>
  shuffled(members).sort((a, b) => Number(a.status === 'paused') - Number(b.status === 'paused'));

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

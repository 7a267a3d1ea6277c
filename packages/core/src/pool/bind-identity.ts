import type { WorkspaceRecord } from '../model/workspace.js';
import { METRIC } from '../observability/metric-names.js';
import { conditionalUpdate } from '../services/conditional-update.js';
import type { ServiceDeps } from '../services/deps.js';
import { endWorkspace } from '../services/end-workspace.js';
import { failureReason } from '../services/provision-steps.js';

/**
 * What makes a claimed member the conversation's: thawed (locally members are frozen; pool/claim.ts begins the
 * thaw alongside the claim) while its proxy is admitted (deployed: the egress credential for this workspace,
 * which a member never held), the conversation's files restored from its snapshot, then ready. The agent needs nothing: its calls carry tokens signed for this
 * workspace id, and the tenant's egress rules are the workspace's own (`PUT /egress`), read per request.
 * A conversation with files (`savedFiles`, looked up before the claim) has them restored by the provisioning
 * state machine (entered at RestoreFiles): a restore may be gigabytes, too long for an API request; the caller
 * waits for ready as for a cold start. Any failure fails the workspace with the reason, as a cold start's
 * would, and stops its container.
 */
export async function bindIdentity(
  deps: ServiceDeps,
  claimed: WorkspaceRecord,
  opts: { thawed: Promise<void>; savedFiles: boolean },
): Promise<WorkspaceRecord> {
  const started = deps.clock.now();
  try {
    await Promise.all([opts.thawed, deps.egress?.admit?.(claimed)]);
    if (opts.savedFiles) {
      // A run of its own: the member's first execution already has the workspace's name.
      await deps.provisioner.start({ workspaceId: claimed.id, claimed: true, run: claimed.version });
      return claimed;
    }
    const now = deps.clock.now();
    const { record } = await conditionalUpdate(
      deps,
      claimed.id,
      (ws) =>
        ws.status === 'provisioning'
          ? { status: 'ready', readyAt: now, deadlineAt: null, lastActiveAt: now }
          : null,
      // As the claim wrote it: no read before the write.
      { from: claimed },
    );
    deps.metrics.duration(METRIC.PoolClaimLatency, deps.clock.now() - started);
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

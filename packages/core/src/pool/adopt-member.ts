import { agentIdOf, type WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from '../services/deps.js';
import { endedRecordExpiry } from '../services/end-workspace.js';
import { claimOrder, thaw, warmMembers } from './claim.js';

/**
 * A hibernated workspace resuming (provisioning again, no task yet) takes a warm pool member's task instead
 * of starting its own: on ECS a warm claim instead of a cold start. Called by the provisioning machine's
 * StartContainer, so the rest of the machine is the same as for a task of its own (address, health and the
 * egress credential, files restored, ready). One conditional transaction gives the workspace the member's
 * task, endpoint and identity (`agentId`: the member's agent accepts tokens signed for it alone, and its
 * proxy relay is administered under it) and ends the member `adopted`, pointing at the workspace
 * (`adoptedBy`: the task's events and listings still name the member). Null when no member could be had.
 */
export async function adoptMemberTask(
  deps: ServiceDeps,
  ws: WorkspaceRecord,
): Promise<WorkspaceRecord | null> {
  // Its files are restored by the machine's RestoreFiles either way: only the members are looked up.
  const candidates = await warmMembers(deps, ws.template);
  if (!candidates) return null;
  const now = deps.clock.now();
  for (const member of claimOrder(candidates)) {
    const adopter: WorkspaceRecord = {
      ...ws,
      version: ws.version + 1,
      taskRef: member.taskRef,
      endpoint: member.endpoint,
      agentId: agentIdOf(member),
    };
    const ended: WorkspaceRecord = {
      ...member,
      status: 'stopped',
      version: member.version + 1,
      terminationReason: 'adopted',
      adoptedBy: ws.id,
      deadlineAt: null,
      expiresAt: endedRecordExpiry(deps, now),
    };
    const result = await deps.store.adoptMember(adopter, {
      expectedVersion: ws.version,
      ended,
      memberVersion: member.version,
    });
    if (!result.ok) {
      if (result.reason === 'workspace_changed') return null; // moved on: the step reads it afresh
      continue;
    }
    deps.log.info('hibernated workspace resumed on a warm member', {
      workspaceId: ws.id,
      tenantId: ws.tenantId,
      conversationId: ws.conversationId,
      memberId: member.id,
    });
    await thaw(deps, member);
    return adopter;
  }
  return null;
}

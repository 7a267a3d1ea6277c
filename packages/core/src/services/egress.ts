import { ApiError } from '../errors.js';
import type { WorkspaceEgressRules } from '../ports/egress-controller.js';
import { readyEndpoint } from './workspace-agent-target.js';
import type { ServiceDeps } from './deps.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/**
 * `PUT /v1/workspaces/{id}/egress`: replaces the workspace's allowlist and/or header rules in its proxy.
 * The workspace must be this tenant's (else 404) and ready (the same 409s as exec: a provisioning,
 * paused or ended workspace has no proxy to talk to, or should not be changed behind its back).
 * Input is validated by `egressRequest` first; if the push fails the proxy keeps its old rules.
 */
export async function updateEgress(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  rules: WorkspaceEgressRules,
): Promise<{ applied: true }> {
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  if (!deps.egress) {
    throw new ApiError('unprocessable', 'this deployment has no egress proxy to configure');
  }
  readyEndpoint(ws);
  await deps.egress.apply(ws, rules);
  deps.log.info('egress rules applied', {
    workspaceId: ws.id,
    allowDomains: rules.allowDomains?.length,
    headerRules: rules.headerRules?.length,
  });
  return { applied: true };
}

import type { DynamoEgressRules } from '@berth/aws';
import type { EgressPolicy } from '../policy/egress-policy.js';
import type { WorkspaceRulesOptions } from '../policy/workspace-rules.js';
import { workspaceEgressPolicy } from '../policy/workspace-rules.js';
import type { WorkspacePolicySource } from './workspace-policies.js';

/**
 * The deployed gateway's policy source: each workspace's item in the control plane's DynamoDB table (its
 * tenant, whether it is still live, its own rules; one consistent read), on top of the operator's base
 * policy. An ended or unknown workspace is null (403); a failed read or unusable stored rules reject, so
 * the request is answered 503 rather than judged by a policy that may not be the workspace's.
 */
export function dynamoPolicies(
  rules: Pick<DynamoEgressRules, 'read'>,
  base: EgressPolicy,
  options: WorkspaceRulesOptions = {},
): WorkspacePolicySource {
  return {
    async policyFor(workspaceId) {
      const stored = await rules.read(workspaceId);
      if (stored === null) return null;
      return { tenantId: stored.tenantId, policy: workspaceEgressPolicy(base, stored.rules, options) };
    },
  };
}

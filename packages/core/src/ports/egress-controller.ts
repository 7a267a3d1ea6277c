import type { WorkspaceRecord } from '../model/workspace.js';

/** Headers the proxy adds to every plain-HTTP request to `host` (MCP tokens and the like). */
export interface EgressHeaderRule {
  /** Exact host name or `*.suffix` (names below the suffix). No port. */
  host: string;
  /** Lower-case header name → value. The workspace never sees these values. */
  headers: Record<string, string>;
}

/**
 * A workspace's own egress rules (`PUT /v1/workspaces/{id}/egress`). Each present key replaces that
 * part of the workspace's rules; an absent key leaves it as it was. They come on top of the operator's
 * base policy (e.g. the Anthropic host), which a tenant cannot remove.
 */
export interface WorkspaceEgressRules {
  /** `name` or `*.suffix`, each optionally `:port`, lower-case. */
  allowDomains?: string[];
  headerRules?: EgressHeaderRule[];
}

/**
 * Pushes egress rules to the proxy in front of one workspace. In the cloud that is a POST to the sidecar's
 * admin API on the task; locally it is the policy store of the in-process proxy (local-docker/src/egress).
 * Resolves once the new rules are in force; on any failure the proxy keeps the old ones.
 */
export interface EgressController {
  apply(ws: WorkspaceRecord, rules: WorkspaceEgressRules): Promise<void>;
}

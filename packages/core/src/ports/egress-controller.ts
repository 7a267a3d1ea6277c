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
 * Puts a workspace's egress rules in force. Locally that is the policy store of the workspace's in-process
 * proxy (local-docker/src/egress); deployed it is the workspace's item, which the egress gateway reads (with a
 * short cache) for every request of that workspace (packages/aws/src/egress).
 */
export interface EgressController {
  /** Resolves once the new rules are in force; on any failure the old ones stay. */
  apply(ws: WorkspaceRecord, rules: WorkspaceEgressRules): Promise<void>;
  /**
   * Gives the workspace's proxy what it needs to reach out: deployed, its proxy credential, handed to the
   * task's sidecar (never to the workspace). Called once the workspace's agent answers, before the workspace
   * is marked ready, and again on keepalive and on the first activity write of each half-day (the credential
   * is renewed: keepalive.ts). Absent where the proxy needs nothing
   * (locally it lives in the host).
   */
  admit?(ws: WorkspaceRecord): Promise<void>;
}

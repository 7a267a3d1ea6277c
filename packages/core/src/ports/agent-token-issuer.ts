/**
 * Mints the bearer token the control plane presents to one workspace's agent: short-lived, naming that
 * workspace, signed (protocol's agent-token.ts). Nothing secret is stored with the workspace or sent to it.
 */
export interface AgentTokenIssuer {
  tokenFor(workspaceId: string): string;
}

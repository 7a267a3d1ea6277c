/**
 * Names of the environment variables the workspace agent reads (workspace-image/README.md, "Environment").
 * The runtimes that start it (local Docker, ECS) and the agent itself use these constants, never literals, so
 * a rename cannot leave one side setting a variable the other no longer reads.
 */
export const WORKSPACE_AGENT_ENV = {
  /** `uds` (default) or `http`. */
  listenMode: 'AGENT_LISTEN_MODE',
  /** uds mode: the socket path. */
  socket: 'AGENT_SOCKET',
  /** http mode: bind address and port. */
  host: 'AGENT_HOST',
  port: 'AGENT_PORT',
  /** This workspace's id: the only workspace whose agent tokens this agent takes (not secret). */
  workspaceId: 'AGENT_WORKSPACE_ID',
  /** The control plane's Ed25519 public key, base64url (agent-token.ts; not secret). */
  tokenPublicKey: 'AGENT_TOKEN_PUBLIC_KEY',
  workspaceDir: 'AGENT_WORKSPACE_DIR',
  childHome: 'AGENT_CHILD_HOME',
  /** The egress proxy's Unix socket, piped to 127.0.0.1:proxyPort inside the container. */
  proxySocket: 'AGENT_PROXY_SOCKET',
  proxyPort: 'AGENT_PROXY_PORT',
  proxyUrl: 'AGENT_PROXY_URL',
  anthropicBaseUrl: 'AGENT_ANTHROPIC_BASE_URL',
  anthropicApiKey: 'AGENT_ANTHROPIC_API_KEY',
  /**
   * Bedrock mode: the region of the Bedrock runtime the agent's runs call (set: Bedrock, unset: the Anthropic
   * API). The runs send unsigned plain HTTP to AGENT_BEDROCK_BASE_URL through the egress proxy, which signs
   * them with its own AWS credentials (the gateway's task role on ECS): no AWS credential is in the workspace.
   */
  bedrockRegion: 'AGENT_BEDROCK_REGION',
  bedrockBaseUrl: 'AGENT_BEDROCK_BASE_URL',
  /** The model runs use unless the request names one (Bedrock: a model id or inference profile). */
  model: 'AGENT_MODEL',
  maxOutputBytes: 'AGENT_MAX_OUTPUT_BYTES',
  /** A berth-spawner path, or `node` for child_process. */
  spawner: 'AGENT_SPAWNER',
} as const;

export type WorkspaceAgentEnvName = (typeof WORKSPACE_AGENT_ENV)[keyof typeof WORKSPACE_AGENT_ENV];

import path from 'node:path';

/**
 * Per-workspace host directories. `run` holds the agent's and the proxy's Unix sockets: we bind-mount the
 * DIRECTORY, never a socket file, because a file bind whose source does not exist yet makes Docker create a
 * directory in its place and the socket can never appear there.
 */
export interface WorkspaceDirs {
  root: string;
  run: string;
  files: string;
}

/** Where the dirs appear inside the container. */
export const CONTAINER_RUN_DIR = '/run/berth';
export const CONTAINER_FILES_DIR = '/workspace';
export const AGENT_SOCKET_NAME = 'agent.sock';
/** Holds the agent token until the agent has read it (and deleted it). */
export const AGENT_TOKEN_FILE_NAME = 'agent-token';
/** The local egress proxy listens here (host side: `<run dir>/proxy.sock`); the agent forwards :3128 to it. */
export const PROXY_SOCKET_NAME = 'proxy.sock';

// Workspace ids become path segments and container names: refuse anything that could escape the state dir.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function assertSafeWorkspaceId(id: string): void {
  if (!SAFE_ID.test(id) || id.includes('..')) {
    throw new Error(
      `invalid workspace id ${JSON.stringify(id)}: use letters, digits, '_', '.', '-' (max 128)`,
    );
  }
}

export function workspaceDirs(stateDir: string, workspaceId: string): WorkspaceDirs {
  assertSafeWorkspaceId(workspaceId);
  const root = path.join(stateDir, 'workspaces', workspaceId);
  return { root, run: path.join(root, 'run'), files: path.join(root, 'files') };
}

/** The agent socket as the control plane (not the engine) sees it. */
export const agentSocketPath = (stateDir: string, workspaceId: string) =>
  path.join(workspaceDirs(stateDir, workspaceId).run, AGENT_SOCKET_NAME);

/** Where the egress proxy must listen for this workspace, as the control plane sees it. */
export const proxySocketPath = (stateDir: string, workspaceId: string) =>
  path.join(workspaceDirs(stateDir, workspaceId).run, PROXY_SOCKET_NAME);

import path from 'node:path';

/**
 * Per-workspace host directories (`<stateDir>/workspaces/<id>/`, owned by root, never writable by the
 * workspace):
 * - `disk.img` + `disk/`: the workspace's own filesystem (workspace-disk.ts), a sparse ext4 image of the
 *   template's diskMiB loop-mounted at `disk/` (root-owned root), so a full disk is the workspace's problem,
 *   not the host's. It holds `files/` (→ /workspace) and `agent/` (→ /run/berth/agent: agent socket and
 *   token), both owned by uid 1000. Without root or loop devices `disk/` is a plain directory (no quota).
 * - `host/`: root-owned and mounted READ-ONLY (→ /run/berth/host): the egress proxy's socket, which the
 *   workspace can use but never replace. Root acts by path only here and in `<root>`, never in `files/`
 *   or `agent/`.
 * We bind-mount DIRECTORIES, never a socket file: a file bind whose source does not exist yet makes Docker
 * create a directory in its place and the socket can never appear there.
 */
export interface WorkspaceDirs {
  root: string;
  /** The filesystem image (loop mode). */
  image: string;
  /** Where the image is mounted (loop mode) or a plain directory (fallback). */
  disk: string;
  /** The workspace's files (→ /workspace); writable by the workspace. */
  files: string;
  /** The agent's socket and token (→ /run/berth/agent); writable by the workspace. */
  agent: string;
  /** Root-owned, read-only in the container (→ /run/berth/host): the proxy socket. */
  host: string;
}

/** Where the dirs appear inside the container. */
export const CONTAINER_RUN_DIR = '/run/berth';
export const CONTAINER_AGENT_DIR = `${CONTAINER_RUN_DIR}/agent`;
export const CONTAINER_HOST_DIR = `${CONTAINER_RUN_DIR}/host`;
export const CONTAINER_FILES_DIR = '/workspace';
export const AGENT_SOCKET_NAME = 'agent.sock';
/** The agent's socket inside the container (tests that play a hostile workspace aim at it). */
export const CONTAINER_AGENT_SOCKET = `${CONTAINER_AGENT_DIR}/${AGENT_SOCKET_NAME}`;
/** Holds the agent token until the agent has read it (and deleted it). */
/** The local egress proxy listens here (host side: `<host dir>/proxy.sock`); the agent forwards :3128 to it. */
export const PROXY_SOCKET_NAME = 'proxy.sock';
export const CONTAINER_PROXY_SOCKET = `${CONTAINER_HOST_DIR}/${PROXY_SOCKET_NAME}`;

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
  const disk = path.join(root, 'disk');
  return {
    root,
    image: path.join(root, 'disk.img'),
    disk,
    files: path.join(disk, 'files'),
    agent: path.join(disk, 'agent'),
    host: path.join(root, 'host'),
  };
}

/** The agent socket as the control plane (not the engine) sees it. */
export const agentSocketPath = (stateDir: string, workspaceId: string) =>
  path.join(workspaceDirs(stateDir, workspaceId).agent, AGENT_SOCKET_NAME);

/** Where the egress proxy must listen for this workspace, as the control plane sees it. */
export const proxySocketPath = (stateDir: string, workspaceId: string) =>
  path.join(workspaceDirs(stateDir, workspaceId).host, PROXY_SOCKET_NAME);

export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js';
export {
  subscribeDockerEvents,
  parseDockerEvent,
  type WorkspaceContainerEvent,
  type DockerEventsOptions,
  type DockerEventSubscription,
} from './docker-events.js';
export { ImageMissingError, TaskNotFoundError } from './errors.js';
export {
  containerCreateOptions,
  hardenedHostConfig,
  workspaceAgentEnv,
  AGENT_UID,
  AGENT_GID,
} from './hardening.js';
export { labelKeys, managedFilter, DEFAULT_LABEL_PREFIX } from './labels.js';
export {
  workspaceDirs,
  agentSocketPath,
  proxySocketPath,
  CONTAINER_RUN_DIR,
  CONTAINER_FILES_DIR,
  CONTAINER_AGENT_SOCKET,
  CONTAINER_PROXY_SOCKET,
  type WorkspaceDirs,
} from './paths.js';
export { WorkspaceDisks, UnsoundWorkspaceError, unmountAllUnder, type DiskMode } from './workspace-disk.js';

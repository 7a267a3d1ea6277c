// @berth/sdk: the typed client of Berth's public API (API.md), for any fetch runtime. No runtime dependencies:
// what it uses of @berth/protocol/client (wire types, error codes, the SSE decoder) is inlined at build time.
export { Berth, type BerthOptions, type HealthReport, type PoolReport } from './berth.js';
export {
  BerthApiError,
  BerthConnectionError,
  BerthError,
  BerthTimeoutError,
  type BerthErrorCode,
  type KnownErrorCode,
} from './errors.js';
export type { FetchLike } from './http/transport.js';
export type { CallOptions } from './http/call-options.js';
export { readSse, SseDecoder, type SseMessage } from '@berth/protocol/client';
export { Workspaces, type WorkspacePage } from './workspaces/workspaces.js';
export { Workspace, type WaitOptions } from './workspaces/workspace.js';
export { WorkspaceHandle } from './workspaces/workspace-handle.js';
export type {
  CreateWorkspaceOptions,
  ListPageOptions,
  ListWorkspacesOptions,
  WorkspaceInfo,
  WorkspaceStatus,
} from './workspaces/types.js';
export {
  Commands,
  type BinaryCommandResult,
  type CommandEvent,
  type CommandExit,
  type CommandResult,
  type RunOptions,
} from './workspaces/commands.js';
export {
  Files,
  INLINE_WRITE_MAX_BYTES,
  type FileData,
  type FileDownload,
  type FileEntry,
} from './workspaces/files.js';
export {
  Agent,
  type AgentEvent,
  type AgentRunOptions,
  type AgentRunRequest,
  type FilesChanged,
} from './workspaces/agent.js';
export { Egress, type EgressRules, type HeaderRule } from './workspaces/egress.js';

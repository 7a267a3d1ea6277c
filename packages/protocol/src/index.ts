/**
 * Berth's wire formats, shared by the control plane, the workspace agent, the egress proxy and clients (its one
 * dependency is zod, in its tree-shakable `zod/mini` form): the public API's request schemas and error codes,
 * the workspace agent's HTTP API (types, limits, environment variable names), the egress rule grammar and the
 * file snapshot format (a tar stream and its manifest).
 */
export {
  COMMAND_BINARY_HEADERS,
  COMMAND_ID_HEADER,
  type CommandEventsPage,
  type CommandGapEventData,
  type CommandLogEvent,
  type CommandStatus,
  type WorkspaceAgentErrorBody,
  type WorkspaceAgentErrorCode,
  type ChangesResponse,
  type DirectoryListing,
  type CommandExitEventData,
  type AgentCommandRequest,
  type CommandResult,
  type CommandStreamEvent,
  type AgentRunErrorEventData,
  type AgentRunRequest,
  type AgentRunEvent,
  type FileEntry,
  type FileEntryType,
  type FilesChangedEventData,
  type HealthResponse,
} from './workspace-agent/api.js';
export { WORKSPACE_AGENT_LIMITS } from './workspace-agent/limits.js';
export { WORKSPACE_AGENT_ENV, type WorkspaceAgentEnvName } from './workspace-agent/env.js';
export {
  MANIFEST_VERSION,
  MAX_MANIFEST_BYTES,
  compareManifests,
  normalizeTarPath,
  parseManifest,
  summarizeComparison,
  type Manifest,
  type ManifestComparison,
  type ManifestDifference,
  type ManifestEntry,
  type ManifestEntryType,
} from './snapshot/manifest.js';

// ---- Public API requests (zod/mini schemas), shared with the workspace agent ----
export { parseWith, type ParseResult, type Parsed, type RequestSchema } from './api/parse.js';
export { REQUEST_LIMITS } from './api/limits.js';
export { ERROR_STATUS, type ApiErrorBody, type ErrorCode } from './api/errors.js';
export {
  WORKSPACE_STATUSES,
  createWorkspaceRequest,
  isValidConversationId,
  keepaliveRequest,
  listWorkspacesQuery,
  type CreateWorkspaceRequest,
  type KeepaliveRequest,
  type ListWorkspacesQuery,
  type WorkspaceStatus,
} from './api/workspaces.js';
export { agentCommandRequest, commandRequest, type CommandRequest } from './api/commands.js';
export { agentRunRequest } from './api/agent-runs.js';
export { egressRequest, type EgressRequest } from './api/egress.js';
export {
  FILE_TRANSFER_LIMITS,
  UPLOAD_ID,
  createDownloadRequest,
  createUploadRequest,
  type CreateDownloadRequest,
  type CreateUploadRequest,
} from './api/file-transfers.js';

// ---- Egress rule grammar (control plane and proxy) ----
export {
  formatDomainEntry,
  isDnsName,
  parseDomainEntry,
  parseRuleHost,
  type DomainEntry,
  type DomainGrammarOptions,
  type GrammarResult,
} from './egress/domain-entry.js';
export { isIpv4Literal, isIpv6Literal } from './egress/ip-literal.js';
export { HEADER_NAME, RESERVED_HEADERS, headerRuleProblems } from './egress/header-rules.js';
export {
  SIDECAR_ADMIN,
  type SidecarCredentialRequest,
  type SidecarCredentialResponse,
  type SidecarHealthResponse,
} from './egress/sidecar-admin.js';
export { SseDecoder, SseEventTooLarge, type SseDecoderOptions, type SseMessage } from './sse/sse-decoder.js';
export { SSE_MEDIA_TYPE, encodeSseComment, encodeSseEvent, type SseEventInit } from './sse/sse-encoder.js';
export { readSse, type SseSource } from './sse/read-sse.js';
export { BodyTooLarge, readBounded, type ReadBoundedOptions } from './http/read-bounded.js';

export type {
  ComponentStatus,
  EgressApplied,
  FileDownload,
  FileUpload,
  HealthReport,
  PoolState,
  PoolTemplateState,
  RuntimeKind,
  WorkspaceViewPage,
  WorkspaceView,
} from './api/response-types.js';

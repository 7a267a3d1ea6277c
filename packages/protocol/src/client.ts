/**
 * `@berth/protocol/client`: the part of the protocol a client needs, without zod, so that the SDK can inline
 * it (code and types) and still install with zero dependencies: the public API's answer types and error
 * codes, the workspace agent's wire types that the API relays, and the SSE decoder. Nothing here may import
 * zod or Node built-ins (scripts/check-dependencies.mjs holds the SDK to this entry).
 */
export {
  COMMAND_BINARY_HEADERS,
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
} from './workspace-agent/api.js';
export { ERROR_STATUS, type ApiErrorBody, type ErrorCode } from './api/errors.js';
export { WORKSPACE_STATUSES, type WorkspaceStatus } from './api/workspace-status.js';
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
export { SseDecoder, SseEventTooLarge, type SseDecoderOptions, type SseMessage } from './sse/sse-decoder.js';
export { SSE_MEDIA_TYPE, encodeSseComment, encodeSseEvent, type SseEventInit } from './sse/sse-encoder.js';
export { readSse, type SseSource } from './sse/read-sse.js';

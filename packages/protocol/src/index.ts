/**
 * Berth's wire formats, shared by the control plane, the workspace agent and clients (no runtime dependencies,
 * so the agent's image can carry it and the SDK can inline its types). So far: the workspace agent's HTTP API
 * (types, limits, environment variable names) and the file snapshot format (a tar stream and its manifest).
 */
export {
  EXEC_BINARY_HEADERS,
  type AgentErrorBody,
  type AgentErrorCode,
  type ChangesResponse,
  type DirectoryListing,
  type ExecExitEventData,
  type ExecRequest,
  type ExecResult,
  type ExecStreamEvent,
  type ExecuteErrorEventData,
  type ExecuteRequest,
  type ExecuteStreamEvent,
  type FileEntry,
  type FileEntryType,
  type FilesChangedEventData,
  type HealthResponse,
} from './agent/agent-api.js';
export { AGENT_LIMITS } from './agent/agent-limits.js';
export { AGENT_ENV, type AgentEnvName } from './agent/agent-env.js';
export {
  TarFormatError,
  TarParser,
  TarReader,
  type TarEntry,
  type TarEntryType,
  type TarHandlers,
  type TarParserOptions,
} from './snapshot/tar-reader.js';
export {
  MANIFEST_VERSION,
  MAX_MANIFEST_BYTES,
  ManifestBuilder,
  ManifestTap,
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
export { DigestCheck } from './snapshot/digest-check.js';

import type * as z from 'zod/mini';
import type { agentRunRequest } from '../api/agent-runs.js';
import type { agentCommandRequest } from '../api/commands.js';

/**
 * Wire types of the workspace agent's HTTP API (workspace-image/README.md): what the agent accepts and
 * answers, and what the control plane's agent client sends and reads. Defined here once so that neither side
 * restates the other.
 */

/** Every error answer is `{"error":{"code","message"}}` with one of these codes. */
export type WorkspaceAgentErrorCode =
  | 'invalid_request' // 400
  | 'invalid_path' // 400
  | 'unauthorized' // 401
  | 'permission_denied' // 403: the file system refused (EACCES, EPERM, EROFS)
  | 'not_found' // 404
  | 'method_not_allowed' // 405
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'internal' // 500
  | 'no_space'; // 507: the file system is full (ENOSPC, EDQUOT)

export interface WorkspaceAgentErrorBody {
  error: { code: WorkspaceAgentErrorCode; message: string };
}

/** `GET /health` (no auth). */
export interface HealthResponse {
  status: 'ok';
  version: string;
  uptimeMs: number;
  /**
   * Commands running now (JSON, streamed and binary exec) and agent runs (`/execute`). Informational only:
   * the control plane grants nothing on the agent's word (a lease follows only activity it sees itself).
   */
  runningCommands: number;
}

/** Body of `POST /exec`, `POST /exec/stream` and `POST /exec/binary`. Unknown fields are rejected. */
export interface AgentCommandRequest {
  /** argv; no shell. `cmd[0]` is looked up on PATH. */
  cmd: string[];
  /** Relative to the workspace dir, or absolute under it. Default: the workspace dir. Must exist. */
  cwd?: string;
  /** Added to the child's minimal base environment (PATH, HOME, LANG, proxy variables). */
  env?: Record<string, string>;
  /** 1..900000, default 60000. On expiry the whole process group is SIGKILLed. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed (stdin is always closed). */
  stdin?: string;
  /** Per-stream byte cap; beyond it output is dropped and `truncated` is true. */
  maxOutputBytes?: number;
}

/** Answer of `POST /exec`. stdout/stderr are UTF-8 decoded (invalid bytes become U+FFFD). */
export interface CommandResult {
  /** null when the process was killed by a signal. 127: command not found, 126: not executable. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

/** Data of the final `exit` event of `POST /exec/stream`. */
export interface CommandExitEventData {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

/**
 * One event of `POST /exec/stream` after decoding. On the wire every `data:` line is JSON: for stdout and
 * stderr a JSON string (so chunks with newlines or a trailing newline round-trip exactly), for exit an object.
 */
export type CommandStreamEvent =
  | { event: 'stdout'; data: string }
  | { event: 'stderr'; data: string }
  | { event: 'exit'; data: CommandExitEventData };

/** Data of a `gap` event: events a reader asked for that were dropped from the command's buffer first. */
export interface CommandGapEventData {
  lostEvents: number;
  /** Output bytes of the lost events (all that was dropped, an upper bound, for a reader very far behind). */
  lostBytes: number;
}

/**
 * One numbered event of a command (ids from 1, in order): output, its exit, or a `gap` where events were
 * dropped. A reader resumes after the last id it saw (SSE `Last-Event-ID`, or `after`).
 */
export type CommandLogEvent =
  | { id: number; event: 'stdout' | 'stderr'; data: string }
  | { id: number; event: 'exit'; data: CommandExitEventData }
  | { id: number; event: 'gap'; data: CommandGapEventData };

/** A command the agent knows (running or recently ended): `POST /commands`, `GET /commands[?id=]`. */
export interface CommandStatus {
  commandId: string;
  cmd: string[];
  status: 'running' | 'exited';
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAt: string;
  endedAt: string | null;
}

/** `GET /commands/events?id=&after=` without SSE: the events after `after`, and the id to read after next. */
export interface CommandEventsPage {
  events: CommandLogEvent[];
  next: number;
}

/** The header that names the command of a `POST /exec` or `POST /exec/stream` answer. */
export const COMMAND_ID_HEADER = 'x-berth-command-id';

/** Response headers of `POST /exec/binary` (the body is the raw stdout bytes). */
export const COMMAND_BINARY_HEADERS = {
  /** Decimal exit code, or `null` when a signal ended the process. */
  exitCode: 'x-exit-code',
  /** Signal name, only when a signal ended the process. */
  signal: 'x-signal',
  /** `true` | `false`. */
  timedOut: 'x-timed-out',
  durationMs: 'x-duration-ms',
  /** `true` when stdout exceeded the cap and was cut. */
  truncated: 'x-truncated',
  /** Base64 of the first 4 KiB of stderr. */
  stderr: 'x-stderr',
} as const;

export type FileEntryType = 'file' | 'dir' | 'symlink' | 'other';

/** One entry of a directory listing (`GET /files` on a directory). Symlinks are not followed. */
export interface FileEntry {
  name: string;
  type: FileEntryType;
  size: number;
  /** ISO-8601. */
  mtime: string;
}

export interface DirectoryListing {
  entries: FileEntry[];
}

/** `GET /files/changes?since=<cursor>`. Paths are relative to the workspace dir, `/`-separated. */
export interface ChangesResponse {
  /** Pass as `since` next time. Opaque. */
  cursor: string;
  /** Files and symlinks created or modified since the cursor (at least once; may repeat). */
  changed: string[];
  /** Files and symlinks gone since the cursor; only when `deletedKnown`. */
  deleted: string[];
  /** False when the agent no longer holds the snapshot of `since` (restart, too old, or no cursor). */
  deletedKnown: boolean;
}

/** `GET /files/manifest` answers a snapshot `Manifest` (../snapshot/manifest.ts). */

/**
 * Body of `POST /execute`: one run of the Claude Agent SDK in the workspace dir. Unknown fields are rejected.
 * The SDK reaches the model through the workspace's egress proxy, which adds the real API key.
 */
export interface AgentRunRequest {
  /** The user's message; 1..100000 characters. */
  prompt: string;
  /** Continue an earlier run's conversation (its `session_id`, from the `result` event). */
  sessionId?: string;
  /** 1..100; default 20. */
  maxTurns?: number;
  /** Tools the agent may use without asking (SDK names, e.g. `Read`, `Write`, `Bash`); default: all. */
  allowedTools?: string[];
  /** Model id; default: the SDK's. */
  model?: string;
}

/** Data of a `files_changed` event: workspace-relative paths touched by the tool call just finished. */
export interface FilesChangedEventData {
  changed: string[];
  deleted: string[];
}

/** Data of the final `error` event (the run could not finish; `result` is not sent then). */
export interface AgentRunErrorEventData {
  code: 'agent_error' | 'aborted';
  message: string;
}

/**
 * One event of `POST /execute` (SSE, `data:` is JSON): `message` for each message of the SDK (assistant,
 * user/tool results, system) except the last, `files_changed` after a tool result that changed files, and
 * one final `result` (the SDK's result message: `subtype`, `result`, `session_id`, `num_turns`, usage...)
 * or `error`.
 */
export type AgentRunEvent =
  | { event: 'message'; data: Record<string, unknown> }
  | { event: 'files_changed'; data: FilesChangedEventData }
  | { event: 'result'; data: Record<string, unknown> }
  | { event: 'error'; data: AgentRunErrorEventData };

// AgentCommandRequest and AgentRunRequest are plain interfaces, the one type of each request (the SDK's
// zero-dependency .d.ts carries them; a z.infer type would drag zod's types in). The compiler holds them equal to the schemas both sides parse
// with: a field added to, removed from or retyped in either fails `tsc` here.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;
type _SameAsSchemas = [
  Holds<Equal<AgentCommandRequest, z.infer<typeof agentCommandRequest>>>,
  Holds<Equal<AgentRunRequest, z.infer<typeof agentRunRequest>>>,
];

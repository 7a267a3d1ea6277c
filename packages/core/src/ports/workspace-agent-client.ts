import type { Readable } from 'node:stream';
import type {
  AgentCommandRequest,
  CommandResult,
  AgentRunRequest,
  FileEntry as DirEntry,
  Manifest,
} from '@berth/protocol';
import type { AgentEndpoint } from '../model/workspace.js';

/** Where and how to reach one workspace's agent. */
export interface WorkspaceAgentTarget {
  endpoint: AgentEndpoint;
  token: string;
}

/**
 * The agent's wire types are defined once, in @berth/protocol (workspace-image/README.md documents them): the
 * control plane and the agent speak exactly that protocol.
 */
export type {
  AgentCommandRequest,
  CommandResult,
  AgentRunRequest,
  AgentRunEvent,
  FilesChangedEventData,
  FileEntry as DirEntry,
} from '@berth/protocol';

/** `POST /exec/binary`: the exit status from the headers, stdout as a stream of `size` bytes, unread. */
export interface BinaryCommandStream {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdout: Readable;
  size: number;
}

/**
 * A file comes back as a stream of `size` bytes (the agent's content-length), never read whole: whoever gets
 * it must consume or destroy `body` (it holds a connection to the agent). A directory listing is read with a
 * byte limit.
 */
export type FileRead = { kind: 'file'; body: Readable; size: number } | { kind: 'dir'; entries: DirEntry[] };

/** A raw streamed answer from the agent (SSE), to be relayed without buffering. */
export interface WorkspaceAgentStream {
  status: number;
  contentType: string;
  body: Readable;
}

/** The workspace agent's HTTP API (workspace-image/README.md), over a Unix socket or TCP. */
export interface WorkspaceAgentClient {
  health(endpoint: AgentEndpoint, timeoutMs?: number): Promise<boolean>;
  runCommand(target: WorkspaceAgentTarget, req: AgentCommandRequest): Promise<CommandResult>;
  streamCommand(
    target: WorkspaceAgentTarget,
    req: AgentCommandRequest,
    signal?: AbortSignal,
  ): Promise<WorkspaceAgentStream>;
  runBinaryCommand(target: WorkspaceAgentTarget, req: AgentCommandRequest): Promise<BinaryCommandStream>;
  /**
   * One agent run (`POST /execute`): its SSE stream of `message`, `files_changed` and a final `result` or
   * `error` event (AgentRunEvent), unbuffered. A bad body rejects with the agent's 400 before any SSE;
   * aborting `signal` (or destroying the body) ends the run.
   */
  streamAgentRun(
    target: WorkspaceAgentTarget,
    req: AgentRunRequest,
    signal?: AbortSignal,
  ): Promise<WorkspaceAgentStream>;
  readFile(target: WorkspaceAgentTarget, path: string): Promise<FileRead>;
  writeFile(target: WorkspaceAgentTarget, path: string, body: Buffer): Promise<void>;
  deleteFile(target: WorkspaceAgentTarget, path: string): Promise<void>;
  /**
   * Tar of a directory (`GET /files/archive`), streamed as the agent writes it: consume or destroy it (it
   * holds a connection to the agent). A tar that fails mid-way ends the stream with an error.
   */
  archiveOut(target: WorkspaceAgentTarget, path: string): Promise<Readable>;
  /**
   * Extracts a tar into a directory (`PUT /files/archive`), the body streamed with backpressure. Rejects with
   * the agent's error (400 for an archive it refuses), or with `body`'s own error if the source fails.
   */
  archiveIn(target: WorkspaceAgentTarget, path: string, body: Readable): Promise<void>;
  /** The manifest of a directory's tree as the agent sees it (`GET /files/manifest`), to check a restore. */
  manifest(target: WorkspaceAgentTarget, path: string): Promise<Manifest>;
}

/** The agent answered with an error (its JSON error shape), or could not be reached (`unreachable`). */
export class WorkspaceAgentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceAgentError';
  }
  get unreachable() {
    return this.code === 'unreachable';
  }
}

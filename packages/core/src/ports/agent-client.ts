import type { Readable } from 'node:stream';
import type { AgentEndpoint } from '../model/workspace.js';
import type { ExecRequest, ExecResult, ExecuteRequest, FileEntry as DirEntry } from '@berth/workspace-agent';

/** Where and how to reach one workspace's agent. */
export interface AgentTarget {
  endpoint: AgentEndpoint;
  token: string;
}

/**
 * The agent's wire types are defined once, by the agent (workspace-image/src/protocol.ts, its README): the
 * control plane speaks exactly that protocol. Type-only: no agent code is loaded here.
 */
export type {
  ExecRequest,
  ExecResult,
  ExecuteRequest,
  ExecuteStreamEvent,
  FilesChangedEventData,
  FileEntry as DirEntry,
} from '@berth/workspace-agent';

export interface AgentActivity {
  /** Commands running now: activity that keeps a workspace alive past its lease. */
  runningCommands: number;
}

export interface BinaryExecResult {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdout: Buffer;
}

export type FileRead = { kind: 'file'; body: Buffer } | { kind: 'dir'; entries: DirEntry[] };

/** A raw streamed answer from the agent (SSE), to be relayed without buffering. */
export interface AgentStream {
  status: number;
  contentType: string;
  body: Readable;
}

/** The workspace agent's HTTP API (workspace-image/README.md), over a Unix socket or TCP. */
export interface AgentClient {
  health(endpoint: AgentEndpoint, timeoutMs?: number): Promise<boolean>;
  /** What the agent is doing now (from /health); rejects if it cannot be reached. */
  activity(endpoint: AgentEndpoint): Promise<AgentActivity>;
  exec(target: AgentTarget, req: ExecRequest): Promise<ExecResult>;
  execStream(target: AgentTarget, req: ExecRequest, signal?: AbortSignal): Promise<AgentStream>;
  execBinary(target: AgentTarget, req: ExecRequest): Promise<BinaryExecResult>;
  /**
   * One agent run (`POST /execute`): its SSE stream of `message`, `files_changed` and a final `result` or
   * `error` event (ExecuteStreamEvent), unbuffered. A bad body rejects with the agent's 400 before any SSE;
   * aborting `signal` (or destroying the body) ends the run.
   */
  execute(target: AgentTarget, req: ExecuteRequest, signal?: AbortSignal): Promise<AgentStream>;
  readFile(target: AgentTarget, path: string): Promise<FileRead>;
  writeFile(target: AgentTarget, path: string, body: Buffer): Promise<void>;
  deleteFile(target: AgentTarget, path: string): Promise<void>;
  /** Tar of the workspace directory. */
  archiveOut(target: AgentTarget, path: string): Promise<Buffer>;
  archiveIn(target: AgentTarget, path: string, tar: Buffer): Promise<void>;
}

/** The agent answered with an error (its JSON error shape), or could not be reached (`unreachable`). */
export class AgentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
  get unreachable() {
    return this.code === 'unreachable';
  }
}

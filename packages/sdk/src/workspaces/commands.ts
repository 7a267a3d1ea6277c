import {
  COMMAND_BINARY_HEADERS,
  type AgentCommandRequest,
  type CommandExitEventData,
  type CommandResult,
  type CommandStreamEvent,
} from '@berth/protocol/client';
import type { CallOptions } from '../http/call-options.js';
import { decodeData, endedEarly, eventStream } from '../http/event-stream.js';
import type { Transport } from '../http/transport.js';

/**
 * A command's request (`cwd`: relative to `/workspace` or absolute under it; `env` added to its minimal
 * environment; `stdin` written, then closed) and the call's options.
 */
export interface RunOptions extends Omit<AgentCommandRequest, 'cmd' | 'maxOutputBytes'>, CallOptions {
  /**
   * The command's own limit, 1..900000 ms (server default 60000): on expiry Berth kills its whole process
   * group and answers `timedOut: true`. The client waits 30 s longer than that for the answer before it
   * gives up with `BerthTimeoutError`.
   */
  timeoutMs?: number;
  /** Aborting cancels the request; for `stream`, closing it ends the command in the workspace. */
  signal?: AbortSignal;
}

/** A finished command (stdout/stderr UTF-8 decoded: use `runBinary` for exact bytes): the protocol's type. */
export type { CommandResult };

/** The final event of a streamed command. */
export type CommandExit = CommandExitEventData;

/** One event of a streamed command, in order; `exit` is always the last. */
export type CommandEvent = CommandStreamEvent;

export interface BinaryCommandResult {
  /** The raw stdout bytes, exact. */
  stdout: Uint8Array;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
}

/** Leeway over a command's own timeout before the client gives up on the answer. */
const ANSWER_GRACE_MS = 30_000;

/** Commands in a workspace: argv arrays, no shell (use `['sh', '-c', script]` for one). */
export class Commands {
  readonly #http: Transport;
  readonly #path: string;

  /** @internal */
  constructor(http: Transport, workspacePath: string) {
    this.#http = http;
    this.#path = `${workspacePath}/exec`;
  }

  /** Runs to completion and answers its output. A non-zero exit is a result, not an error. */
  run(cmd: string[], options: RunOptions = {}): Promise<CommandResult> {
    return this.#http.json<CommandResult>(this.#call(this.#path, cmd, options));
  }

  /** Output as it comes: `stdout`/`stderr` chunks, then `exit`. Leaving the loop closes the stream. */
  async *stream(cmd: string[], options: RunOptions = {}): AsyncGenerator<CommandEvent, void, undefined> {
    const call = this.#call(this.#path, cmd, options);
    for await (const message of eventStream(this.#http, call)) {
      const data = decodeData(message);
      if (message.event === 'stdout' || message.event === 'stderr') {
        yield { event: message.event, data: data as string };
      } else if (message.event === 'exit') {
        yield { event: 'exit', data: data as CommandExit };
        return;
      }
      // Other event names: from a newer server; skipped.
    }
    throw endedEarly(this.#path, 'exit');
  }

  /** Runs to completion and answers stdout as exact bytes (`POST .../exec/binary`). */
  async runBinary(cmd: string[], options: RunOptions = {}): Promise<BinaryCommandResult> {
    const call = { ...this.#call(`${this.#path}/binary`, cmd, options), accept: 'application/octet-stream' };
    return this.#http.read(call, async (response) => ({
      stdout: new Uint8Array(await response.arrayBuffer()),
      exitCode: exitCodeHeader(response.headers.get(COMMAND_BINARY_HEADERS.exitCode)),
      durationMs: Number(response.headers.get(COMMAND_BINARY_HEADERS.durationMs) ?? 0),
      timedOut: response.headers.get(COMMAND_BINARY_HEADERS.timedOut) === 'true',
    }));
  }

  #call(path: string, cmd: string[], { signal, timeoutMs, maxRetries, ...rest }: RunOptions) {
    return {
      method: 'POST' as const,
      path,
      json: { cmd, ...rest, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
      // Exec may have run: retried only on `not_ready`, which Berth answers before running anything.
      retry: 'unsafe' as const,
      maxRetries,
      signal,
      // The answer comes once the command ended, which Berth makes happen by `timeoutMs`.
      timeoutMs: timeoutMs === undefined ? undefined : timeoutMs + ANSWER_GRACE_MS,
    };
  }
}

/** `X-Exit-Code`: decimal; `-1` (or `null`) when a signal ended the process. */
function exitCodeHeader(value: string | null): number | null {
  if (value === null || value === 'null') return null;
  const code = Number(value);
  return Number.isInteger(code) && code >= 0 ? code : null;
}

import type { AgentRunEvent, AgentRunRequest, FilesChangedEventData } from '@berth/protocol/client';
import { callOptions, type CallOptions } from '../http/call-options.js';
import { decodeData, endedEarly, eventStream } from '../http/event-stream.js';
import type { Transport } from '../http/transport.js';

/** One run of the coding agent (the Claude Agent SDK) in the workspace: the protocol's request type. */
export type { AgentRunRequest };

/**
 * `signal`: aborting ends the run (the connection closes and Berth stops the agent). `timeoutMs`: for the
 * run to start (its events then come as long as it runs).
 */
export type AgentRunOptions = CallOptions;

/** Workspace-relative paths changed by the tool call just finished (already saved to the snapshot store). */
export type FilesChanged = FilesChangedEventData;

/**
 * An agent run's events in order: `message` for each of the agent's messages, `files_changed` after a tool
 * call that changed files, and one final `result` (the SDK's result message: `subtype`, `result`,
 * `session_id`, `num_turns`, usage...) or `error` (`agent_error`, `aborted`).
 */
export type AgentEvent = AgentRunEvent;

const FINAL = new Set(['result', 'error']);
const KNOWN = new Set(['message', 'files_changed', 'result', 'error']);

/** The coding agent of a workspace (`POST /v1/workspaces/{id}/execute`). */
export class Agent {
  readonly #http: Transport;
  readonly #path: string;

  /** @internal */
  constructor(http: Transport, workspacePath: string) {
    this.#http = http;
    this.#path = `${workspacePath}/execute`;
  }

  /**
   * Starts a run on the first iteration and yields its events until the final `result` or `error`. Leaving
   * the loop early (`break`, `return`, a throw) or aborting `signal` closes the request, which ends the run.
   */
  async *run(request: AgentRunRequest, options: AgentRunOptions = {}): AsyncGenerator<AgentEvent, void> {
    // A run may have started: retried only on `not_ready`, answered before anything ran.
    const call = { method: 'POST' as const, path: this.#path, json: request, retry: 'unsafe' as const };
    for await (const message of eventStream(this.#http, { ...call, ...callOptions(options) })) {
      if (!KNOWN.has(message.event)) continue; // from a newer server
      yield { event: message.event, data: decodeData(message) } as AgentEvent;
      if (FINAL.has(message.event)) return;
    }
    throw endedEarly(this.#path, 'result or error');
  }
}

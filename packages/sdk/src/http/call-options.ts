/**
 * What every SDK call takes as its last argument (alone, or inside the call's own options). The transport
 * is the one place that turns it into the request's abort signal (see `attemptSignal`).
 */
export interface CallOptions {
  /**
   * Aborting cancels the call at any point: while waiting for the answer, while reading it, mid-stream, or
   * between retries. The call rejects with the signal's reason (an `AbortError` unless you gave another).
   */
  signal?: AbortSignal | undefined;
  /**
   * This call's limit in ms, instead of the client's `timeoutMs`: until the answer is read (for streams:
   * until the stream starts), retries and the waits between them included. Expiry rejects with
   * `BerthTimeoutError`. 0 turns it off.
   */
  timeoutMs?: number | undefined;
  /**
   * Extra attempts after an answer that asks to try again, instead of the client's `maxRetries` (for
   * `workspaces.create`: its `createMaxRetries`). Which answers are retried does not change. 0 turns it off.
   */
  maxRetries?: number | undefined;
}

/**
 * Only the call options of a larger options object: the rest (a command's `cwd`, a list's filters) is the
 * request's, and must never reach the transport's call by accident.
 */
export function callOptions(options: CallOptions | undefined): CallOptions {
  return { signal: options?.signal, timeoutMs: options?.timeoutMs, maxRetries: options?.maxRetries };
}

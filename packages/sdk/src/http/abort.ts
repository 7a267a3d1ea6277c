import { BerthTimeoutError } from '../errors.js';

/**
 * One attempt's abort signal: fires when the caller's signal does or when `timeoutMs` passes. Hand-rolled
 * rather than `AbortSignal.any`/`timeout` so it also runs where those are missing (older browsers, edge).
 */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
  /** The answer's headers are in: a stream may now run as long as it likes. */
  stopTimer(): void;
  /** Ends the attempt: aborts the request (a no-op once its body was read) and unhooks the caller's signal. */
  release(): void;
}

/** `limitMs` is the limit the timeout error names (the call's), when `timeoutMs` is what is left of it. */
export function attemptSignal(
  user: AbortSignal | undefined,
  timeoutMs: number | undefined,
  limitMs = timeoutMs,
): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onUserAbort = () => controller.abort(user?.reason);
  if (user?.aborted) controller.abort(user.reason);
  else user?.addEventListener('abort', onUserAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs !== undefined && timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new BerthTimeoutError(limitMs ?? timeoutMs));
    }, timeoutMs);
  }
  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    stopTimer,
    release() {
      stopTimer();
      user?.removeEventListener('abort', onUserAbort);
      controller.abort();
    },
  };
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

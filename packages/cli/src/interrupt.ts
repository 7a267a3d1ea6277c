import { Interrupted } from './errors.js';
import type { Io } from './io.js';

/**
 * Runs `work` with a signal that Ctrl-C aborts: the SDK then closes the request, which ends the command or
 * agent run in the workspace (Berth stops what a client leaves).
 */
export async function interruptible<T>(io: Io, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const off = io.onInterrupt(() => controller.abort(new Interrupted()));
  try {
    return await work(controller.signal);
  } finally {
    off();
  }
}

import type { BerthApiError } from '../errors.js';

/**
 * Which failed answers a call may be sent again after.
 * - `safe`: the call is idempotent (reads, PUT/DELETE, keepalive, pause/resume, create of a conversation's
 *   workspace): retried on `not_ready`, 429 (`quota_exceeded`, `throttled`) and 503 (`capacity`,
 *   `unavailable`; not `provision_failed`), and on a 409 `conflict` that carries `Retry-After`.
 * - `unsafe`: the call may have done something (exec, execute): retried only on `not_ready`, which Berth
 *   answers before anything ran.
 */
export type RetryPolicy = 'safe' | 'unsafe';

/** How long one wait between attempts may be, whatever `Retry-After` says: past it the call tries again. */
export const DEFAULT_MAX_RETRY_WAIT_MS = 30_000;

export function shouldRetry(e: BerthApiError, policy: RetryPolicy): boolean {
  if (e.code === 'not_ready') return true;
  if (policy === 'unsafe') return false;
  // A start that failed is not a refusal: the caller decides whether a fresh one is worth it.
  if (e.code === 'provision_failed') return false;
  if (e.status === 429 || e.status === 503) return true;
  return e.status === 409 && e.code === 'conflict' && e.retryAfterSeconds !== undefined;
}

/**
 * How long to wait before attempt `attempt + 1` (0-based), at most `maxWaitMs`: what the server asked for,
 * else exponential backoff with jitter, so that clients refused together do not all come back together.
 */
export function retryDelayMs(
  e: BerthApiError,
  attempt: number,
  maxWaitMs = DEFAULT_MAX_RETRY_WAIT_MS,
  random: () => number = Math.random,
): number {
  if (e.retryAfterSeconds !== undefined) return Math.min(e.retryAfterSeconds * 1000, maxWaitMs);
  const backoff = Math.min(500 * 2 ** attempt, 8000);
  return Math.min(Math.round(backoff / 2 + (random() * backoff) / 2), maxWaitMs);
}

/** `Retry-After` as seconds: a delay in seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

import type { BerthApiError } from '../errors.js';

/**
 * Which failed answers a call may be sent again after.
 * - `safe`: the call is idempotent (reads, PUT/DELETE, keepalive, pause/resume, create of a conversation's
 *   workspace): retried on `not_ready`, 429 and 503, and on a 409 `conflict` that carries `Retry-After`.
 * - `unsafe`: the call may have done something (exec, execute): retried only on `not_ready`, which Berth
 *   answers before anything ran.
 */
export type RetryPolicy = 'safe' | 'unsafe';

/** A server asking for a longer wait than this is better surfaced to the caller than slept through. */
const MAX_RETRY_AFTER_SECONDS = 60;

export function shouldRetry(e: BerthApiError, policy: RetryPolicy): boolean {
  if (e.retryAfterSeconds !== undefined && e.retryAfterSeconds > MAX_RETRY_AFTER_SECONDS) return false;
  if (e.code === 'not_ready') return true;
  if (policy === 'unsafe') return false;
  if (e.status === 429 || e.status === 503) return true;
  return e.status === 409 && e.code === 'conflict' && e.retryAfterSeconds !== undefined;
}

/** How long to wait before attempt `attempt + 1`: what the server asked for, else exponential backoff. */
export function retryDelayMs(e: BerthApiError, attempt: number): number {
  if (e.retryAfterSeconds !== undefined) return e.retryAfterSeconds * 1000;
  return Math.min(500 * 2 ** attempt, 8000);
}

/** `Retry-After` as seconds: a delay in seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

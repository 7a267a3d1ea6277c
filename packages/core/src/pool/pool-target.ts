import type { PoolDemandMinute } from '../ports/workspace-store.js';

export interface PoolTargetInput {
  min: number;
  max: number;
  headroom: number;
  /** Creates per minute of the template over the demand window (claims and misses alike). */
  demand: PoolDemandMinute[];
  /** How long a member takes from start to warm (median of recent members), seconds. */
  provisionSeconds: number;
  /** How long a claimed member may wait for its replacement to be asked for, seconds (the refill schedule). */
  refillIntervalSeconds: number;
}

export interface PoolTarget {
  target: number;
  /** The busiest minute's creates per second: the rate the pool is sized for. */
  peakRatePerSecond: number;
  /** How long the pool must cover that rate alone: a member's start, or the wait for the next refill. */
  coverSeconds: number;
}

/**
 * The adaptive size of a pool: enough members to serve the busiest minute of the window's creates for as long
 * as a replacement takes to be asked for and to get warm, plus headroom, kept within [min, max]:
 *
 *   target = clamp(ceil(peak creates/s × max(provisionSeconds, refillIntervalSeconds)) + headroom, min, max)
 *
 * So a burst that emptied the pool raises the target for the window (15 min by default) and the next burst
 * finds more members; a quiet window shrinks it back to min. The inputs are metrics on the dashboard.
 */
export function poolTarget(input: PoolTargetInput): PoolTarget {
  const peakPerMinute = Math.max(0, ...input.demand.map((m) => m.claims + m.misses));
  const peakRatePerSecond = peakPerMinute / 60;
  const coverSeconds = Math.max(input.provisionSeconds, input.refillIntervalSeconds);
  const wanted = Math.ceil(peakRatePerSecond * coverSeconds) + (input.max > 0 ? input.headroom : 0);
  const target = Math.min(input.max, Math.max(input.min, wanted));
  return { target, peakRatePerSecond, coverSeconds };
}

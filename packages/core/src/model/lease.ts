import type { BerthConfig } from '../config.js';

/**
 * The lease rule. A live workspace's `expiresAt` is only ever set by the control plane, from what it saw
 * itself (a create, a keepalive, activity it served or followed), never from what the workspace reports; and
 * it never lies beyond `now + ttl.maxSeconds` at the moment it is written, whatever the requested ttl or the
 * stored one. So a workspace left alone dies at most `ttl.maxSeconds` after the last thing the control plane
 * did for it.
 */
export function leaseEnd(config: BerthConfig, now: number, ttlSeconds: number): number {
  return now + Math.min(ttlSeconds, config.ttl.maxSeconds) * 1000;
}

/** A lease moved on by activity: at least `now + ttl`, kept if it already reaches further, capped at the maximum. */
export function extendedLease(config: BerthConfig, now: number, current: number, ttlSeconds: number): number {
  return Math.min(Math.max(current, leaseEnd(config, now, ttlSeconds)), now + config.ttl.maxSeconds * 1000);
}

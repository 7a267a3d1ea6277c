import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { recordActivity, touchActivity } from './keepalive.js';

/** Heartbeats of long calls are at least this far apart, whatever `activityWriteIntervalMs` says (0 in tests). */
const MIN_BEAT_MS = 1_000;

export interface ActivityHeartbeat {
  /** The call is over: one last activity mark (skipped if the record in hand is recent), no more beats. */
  end(): void;
}

/**
 * A call the control plane keeps open for a workspace (an exec it follows to its exit, a stream it relays, an
 * agent run) is activity for as long as it lasts: the lease is moved on every `activityWriteIntervalMs` while
 * it is open (for at most `ttl.maxSeconds`) and once at its end. This, with the control plane's own requests,
 * is the only thing that extends a lease besides a keepalive: never what the workspace says about itself (its
 * agent is untrusted).
 */
export function followActivity(deps: ServiceDeps, ws: WorkspaceRecord): ActivityHeartbeat {
  let inFlight: Promise<void> | undefined;
  let beaten = false;
  // One call never carries a lease further than the maximum lease from its start, however long it stays
  // open (a stream the workspace never ends, a client that never hangs up).
  const beatsUntil = deps.clock.now() + deps.config.ttl.maxSeconds * 1000;
  const beat = () => {
    if (deps.clock.now() > beatsUntil) return clearInterval(timer);
    beaten = true;
    // A stalled store must not pile up writes: one beat at a time.
    inFlight ??= recordActivity(deps, ws.id).finally(() => (inFlight = undefined));
  };
  const timer = setInterval(beat, Math.max(deps.config.activityWriteIntervalMs, MIN_BEAT_MS));
  timer.unref();
  let ended = false;
  return {
    end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (deps.clock.now() > beatsUntil) return;
      // After beats the record in hand is stale: judge on the stored one. A short call pays no read.
      void (beaten ? recordActivity(deps, ws.id) : touchActivity(deps, ws));
    },
  };
}

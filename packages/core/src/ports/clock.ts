/** Time source, injectable so lifecycle rules (expiry, deadlines) are testable. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

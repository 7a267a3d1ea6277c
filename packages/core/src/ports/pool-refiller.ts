/**
 * Asks for a refill of the warm pools soon, without waiting for it (after a claim or a miss): locally a
 * coalesced run in the host; deployed an asynchronous invoke of the refill function. The schedule refills too,
 * so a lost request only delays a refill.
 */
export interface PoolRefiller {
  request(): Promise<void>;
}

/**
 * The way into cold starts: each start waits for its turn, first come first served, so in a burst the first
 * requests finish first instead of all together (and the engine or RunTask is never asked for more than it
 * can take). Locally a FIFO of concurrent starts (local-docker's provisioner); deployed a token bucket in
 * DynamoDB shared by every function (packages/aws: RunTask's rate limit).
 */
export interface StartGate {
  /**
   * Waits for this start's turn and answers the release to call once the start is done. Deployed, a turn too
   * far off throws `Throttled` (the state machine retries it with backoff) rather than sleeping in a Lambda.
   */
  enter(workspaceId: string): Promise<() => void>;
  /** How long a start asked for now would wait for its turn, ms (admission refuses past its bound). */
  backlogMs(): Promise<number>;
}

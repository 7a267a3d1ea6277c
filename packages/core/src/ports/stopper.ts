/**
 * Finishes a stop that stopWorkspace began (the record is `stopping`): the workspace's files saved, its
 * container stopped, the record ended (services/release.ts `finishStop`). Where none is wired the caller
 * finishes it in process (the local host). Deployed, the API and the sweep hand it to the stop worker (an SQS
 * queue): a delete answers at once instead of waiting for a snapshot upload that API Gateway's 29 s would
 * cut off, and the sweep never writes the bucket.
 */
export interface Stopper {
  /**
   * Hands the stop of a `stopping` workspace over; resolves once it is durably queued. Delivery is at least
   * once: finishing a stop that already finished does nothing.
   */
  handOver(stop: StopRequest): Promise<void>;
}

export interface StopRequest {
  workspaceId: string;
  /** For the worker's logs: whose workspace it is. */
  tenantId: string;
}

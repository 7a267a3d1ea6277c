import type { WorkspaceRecord } from '../model/workspace.js';

/**
 * Finishes what saves a workspace's files off the request path (services/stop-worker.ts): a stop that
 * stopWorkspace began (files saved, container stopped, record ended) and a hibernation (files saved, task
 * stopped, record paused). Deployed, the API and the sweep hand it to the stop worker (an SQS queue): a delete
 * or a pause answers at once instead of waiting for a snapshot upload that API Gateway's 29 s would cut off,
 * and the sweep never writes the bucket. The local host finishes it in process (`inProcessStopper`), so the
 * API function carries no snapshot code at all.
 */
export interface Stopper {
  /**
   * Hands the workspace over; resolves once it is durably queued (void), or finished in process (the workspace
   * as it then is). Delivery is at least once: finishing what already finished does nothing.
   */
  handOver(stop: StopRequest): Promise<WorkspaceRecord | void>;
}

export interface StopRequest {
  workspaceId: string;
  /** For the worker's logs: whose workspace it is. */
  tenantId: string;
}

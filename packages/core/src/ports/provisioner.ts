/**
 * Starts the provisioning state machine for a workspace (Step Functions StartExecution in the cloud,
 * aws-local-stepfunctions locally). Fire and forget: progress is observed through the store.
 */
export interface Provisioner {
  start(input: ProvisionInput): Promise<void>;
}

export interface ProvisionInput {
  workspaceId: string;
  /**
   * The conversation's previous workspace, when it had not ended yet (its stop saves the files this one
   * restores): provisioning waits for it to end before restoring (AwaitPredecessor).
   */
  predecessorId?: string;
  /**
   * A warm pool member just claimed for a conversation that has files: its container is up, so the machine
   * only restores them (RestoreFiles → MarkReady), off the API's request path whatever their size.
   */
  claimed?: boolean;
  /**
   * A warm pool member's start (the refill): where starts take turns on one machine, it waits for no tenant's
   * start to be waiting (local-docker's StartQueue). Deployed, every RunTask shares the one token bucket.
   */
  background?: boolean;
  /**
   * Which start of the workspace this is, when not its first (a resume after hibernation: the record's version
   * then). Names the execution and the task start apart from the first one's (execution names and RunTask client
   * tokens are used once).
   */
  run?: number;
}

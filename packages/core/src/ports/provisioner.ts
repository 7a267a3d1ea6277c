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
}

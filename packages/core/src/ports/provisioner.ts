/**
 * Starts the provisioning state machine for a workspace (Step Functions StartExecution in the cloud,
 * aws-local-stepfunctions locally). Fire and forget: progress is observed through the store.
 */
export interface Provisioner {
  start(input: ProvisionInput): Promise<void>;
}

export interface ProvisionInput {
  workspaceId: string;
}

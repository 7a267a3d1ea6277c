import { SFNClient, StartExecutionCommand, type SFNClientConfig } from '@aws-sdk/client-sfn';
import type { ProvisionInput, Provisioner } from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';

export interface StepFunctionsProvisionerOptions {
  stateMachineArn: string;
  client?: SFNClient;
  clientConfig?: SFNClientConfig;
}

/**
 * {@link Provisioner} that starts the provisioning state machine (core/provisioning/definition.ts).
 * The execution is named after the workspace, so Step Functions itself makes a second start of the same
 * workspace a no-op: a retried acquire never provisions twice.
 */
export class StepFunctionsProvisioner implements Provisioner {
  private readonly sfn: SFNClient;

  constructor(private readonly opts: StepFunctionsProvisionerOptions) {
    this.sfn = opts.client ?? new SFNClient(withSdkTimeouts(opts.clientConfig ?? {}, 'sfn'));
  }

  async start(input: ProvisionInput): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.opts.stateMachineArn,
          // Workspace ids are short and made of [a-z0-9_], within the 80-character name rule.
          // A later run (a resume, a claimed warm member's restore) is named apart: a name is used once (90 days).
          name: input.run === undefined ? input.workspaceId : `${input.workspaceId}-r${input.run}`,
          input: JSON.stringify({
            workspaceId: input.workspaceId,
            ...(input.predecessorId && { predecessorId: input.predecessorId }),
            ...(input.run !== undefined && { run: input.run }),
            ...(input.claimed && { claimed: true }),
          }),
        }),
      );
    } catch (err) {
      // Same name already running (or run within the 90-day retention): it was started; nothing to do.
      if ((err as Error).name === 'ExecutionAlreadyExists') return;
      throw err;
    }
  }
}

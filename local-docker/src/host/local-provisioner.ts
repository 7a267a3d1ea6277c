import { StateMachine } from 'aws-local-stepfunctions';
import {
  ALL_PROVISION_STEPS,
  PROVISION_WAITS,
  installPromiseWithResolvers,
  provisioningDefinitionWith,
  type ProvisionInput,
  type ProvisionStepName,
  type Provisioner,
  type ServiceLogger,
} from '@berth/core';

type StepHandler = (state: unknown) => Promise<unknown>;

/**
 * Runs the cloud's provisioning state machine definition in process with aws-local-stepfunctions: each Task
 * state calls the same step handler its Lambda would. Retry pauses and the loops' Wait states are shortened:
 * locally there is no RunTask throttling to wait out, only a container that is a few milliseconds from ready
 * (and each check polls its budget before the machine waits at all).
 */
export class LocalProvisioner implements Provisioner {
  private readonly machine: StateMachine;
  private readonly running = new Set<{ abort: () => void; result: Promise<unknown> }>();

  constructor(
    private readonly steps: Record<ProvisionStepName, StepHandler>,
    private readonly log: ServiceLogger,
  ) {
    installPromiseWithResolvers();
    const definition = provisioningDefinitionWith(
      (step) => `arn:aws:lambda:local:000000000000:function:berth-${step}`,
    );
    this.machine = new StateMachine(definition as never);
  }

  async start(input: ProvisionInput): Promise<void> {
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.steps as never,
        retryIntervalOverrides: Object.fromEntries(ALL_PROVISION_STEPS.map((s) => [s, 50])),
        waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 50])),
      },
      noThrowOnAbort: true,
    });
    this.running.add(execution);
    execution.result
      .catch((e: unknown) => {
        // The definition ends in a Fail state after MarkFailed: the failure is recorded, this is just the echo.
        this.log.info('provisioning execution ended in failure', {
          workspaceId: input.workspaceId,
          error: String(e),
        });
      })
      .finally(() => this.running.delete(execution));
  }

  /** Aborts executions still running (host shutdown); their workspaces are left to the sweep. */
  close(): void {
    for (const e of this.running) e.abort();
    this.running.clear();
  }

  /** Resolves when every running execution has finished (tests, graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running].map((e) => e.result));
  }
}

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
  type StartGate,
} from '@berth/core';
import { StartQueue } from './start-queue.js';

type StepHandler = (state: unknown) => Promise<unknown>;

/** Provisionings at once on one machine: enough to keep the engine busy, few enough not to thrash it. */
const DEFAULT_CONCURRENT_STARTS = 4;

/**
 * Runs the cloud's provisioning state machine definition in process with aws-local-stepfunctions: each Task
 * state calls the same step handler its Lambda would. Retry pauses and the loops' Wait states are shortened:
 * locally there is no RunTask throttling to wait out, only a container that is a few milliseconds from ready
 * (and each check polls its budget before the machine waits at all).
 *
 * Executions take turns (StartQueue: first come, first served, `concurrentStarts` at once), so a burst of cold
 * starts is served in order instead of all at once. `gate` is the core's StartGate over those turns: the
 * execution already holds its turn when StartContainer runs, so `enter` has nothing to wait for, and
 * `backlogMs` is what admission control refuses on.
 */
export class LocalProvisioner implements Provisioner {
  private readonly machine: StateMachine;
  private readonly running = new Set<{ abort: () => void; result: Promise<unknown> }>();
  private readonly queue: StartQueue;
  private closed = false;
  readonly gate: StartGate = {
    enter: async () => () => {},
    backlogMs: async () => this.queue.backlogMs(),
  };

  constructor(
    private readonly steps: Record<ProvisionStepName, StepHandler>,
    private readonly log: ServiceLogger,
    opts: { concurrentStarts?: number } = {},
  ) {
    this.queue = new StartQueue(opts.concurrentStarts ?? DEFAULT_CONCURRENT_STARTS);
    installPromiseWithResolvers();
    const definition = provisioningDefinitionWith(
      (step) => `arn:aws:lambda:local:000000000000:function:berth-${step}`,
    );
    this.machine = new StateMachine(definition as never);
  }

  async start(input: ProvisionInput): Promise<void> {
    // A claimed warm member only restores files into the container it has: it takes no start's turn.
    // A pool member's start yields to tenants' (refills use what is left over).
    const turn = input.claimed
      ? Promise.resolve(() => {})
      : this.queue.take({ background: input.background === true });
    // Answers at once (a Step Functions StartExecution does too); the execution runs when its turn comes.
    const queued = {
      abort: () => void turn.then((end) => end()),
      result: turn.then(async (end) => {
        if (this.closed) return end();
        try {
          await this.run(input);
        } finally {
          end();
        }
      }),
    };
    this.running.add(queued);
    void queued.result.finally(() => this.running.delete(queued));
  }

  private async run(input: ProvisionInput): Promise<void> {
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.steps as never,
        retryIntervalOverrides: Object.fromEntries(ALL_PROVISION_STEPS.map((s) => [s, 50])),
        waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 50])),
      },
      noThrowOnAbort: true,
    });
    this.running.add(execution);
    await execution.result
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
    this.closed = true;
    for (const e of this.running) e.abort();
    this.running.clear();
  }

  /** Resolves when every running execution has finished (tests, graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running].map((e) => e.result));
  }
}

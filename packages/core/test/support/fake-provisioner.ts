import {
  PROVISION_STEPS,
  PROVISION_STEP_FUNCTIONS,
  type ProvisionInput,
  type ProvisionState,
  type ProvisionStepName,
  type Provisioner,
  type ServiceDeps,
} from '@berth/core';

/** The step functions by state name (the table the Lambda handlers use too). */
export const STEP_FUNCTIONS = PROVISION_STEP_FUNCTIONS;

export interface StepRun {
  workspaceId: string;
  step: ProvisionStepName;
  error?: string;
}

/**
 * A Provisioner that runs the real step functions against the deps, in the ASL's order, without a state
 * machine: StartContainer → WaitForEndpoint → WaitForHealthy → RestoreFiles → MarkReady, and on the first
 * error MarkFailed with `$.error = {Error: name, Cause: message}` (the Catch's ResultPath). No retries: the
 * ASL's Retry behaviour is tested against the definition itself. `manual` records the start only.
 */
export class FakeProvisioner implements Provisioner {
  readonly started: ProvisionInput[] = [];
  readonly runs: StepRun[] = [];
  readonly finalStates: ProvisionState[] = [];
  /** `background`: start answers at once and the steps run after (like StartExecution). `manual`: nothing runs. */
  mode: 'background' | 'manual' = 'background';
  /** Called before each step; throw to make the step fail, await to hold it. */
  beforeStep: (step: ProvisionStepName, state: ProvisionState) => void | Promise<void> = () => {};
  private readonly executions = new Set<Promise<unknown>>();

  constructor(private readonly deps: () => ServiceDeps) {}

  async start(input: ProvisionInput): Promise<void> {
    this.started.push(input);
    if (this.mode === 'manual') return;
    const execution = this.run(input).finally(() => this.executions.delete(execution));
    this.executions.add(execution);
  }

  /** One execution, awaited (tests that drive provisioning themselves). */
  async run(input: ProvisionInput): Promise<ProvisionState> {
    let state: ProvisionState = { workspaceId: input.workspaceId };
    for (const step of PROVISION_STEPS) {
      try {
        await this.beforeStep(step, state);
        state = await STEP_FUNCTIONS[step](this.deps(), state);
        this.runs.push({ workspaceId: input.workspaceId, step });
      } catch (e) {
        const err = e as Error;
        this.runs.push({ workspaceId: input.workspaceId, step, error: err.name });
        state = { ...state, error: { Error: err.name, Cause: err.message } };
        state = await PROVISION_STEP_FUNCTIONS.MarkFailed(this.deps(), state);
        this.runs.push({ workspaceId: input.workspaceId, step: 'MarkFailed' });
        this.finalStates.push(state);
        return state;
      }
    }
    this.finalStates.push(state);
    return state;
  }

  stepsOf(workspaceId: string): string[] {
    return this.runs
      .filter((r) => r.workspaceId === workspaceId)
      .map((r) => (r.error ? `${r.step}!${r.error}` : r.step));
  }

  /** Resolves once every background execution has finished. */
  async drain(): Promise<void> {
    while (this.executions.size) await Promise.allSettled([...this.executions]);
  }
}

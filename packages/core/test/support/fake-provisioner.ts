import {
  AgentNotHealthy,
  EndpointPending,
  PROVISION_LOOPS,
  PROVISION_STEPS,
  PROVISION_STEP_FUNCTIONS,
  type ProvisionInput,
  type ProvisionState,
  type ProvisionStepName,
  type Provisioner,
  type ServiceDeps,
} from '@berth/core';

const LOOPS: Partial<Record<ProvisionStepName, { maxChecks: number; giveUp: () => Error }>> = {
  WaitForEndpoint: { ...PROVISION_LOOPS.endpoint, giveUp: () => new EndpointPending('out of checks') },
  WaitForHealthy: { ...PROVISION_LOOPS.health, giveUp: () => new AgentNotHealthy('out of checks') },
  AwaitPredecessor: {
    ...PROVISION_LOOPS.predecessor,
    giveUp: () => Object.assign(new Error('out of checks'), { name: 'PredecessorStillStopping' }),
  },
};

/** The step functions by state name (the table the Lambda handlers use too). */
export const STEP_FUNCTIONS = PROVISION_STEP_FUNCTIONS;

export interface StepRun {
  workspaceId: string;
  step: ProvisionStepName;
  error?: string;
}

/**
 * A Provisioner that runs the real step functions against the deps, in the ASL's order, without a state
 * machine: StartContainer → WaitForEndpoint → WaitForHealthy → [AwaitPredecessor] → RestoreFiles → MarkReady, and on the first
 * error MarkFailed with `$.error = {Error: name, Cause: message}` (the Catch's ResultPath). No retries: the
 * ASL's Retry behaviour is tested against the definition itself. A wait loop's check repeats without pause. `manual` records the start only.
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
    let state: ProvisionState = { ...input };
    for (const step of PROVISION_STEPS) {
      // The ASL's HasPredecessor Choice: only a start with a predecessor waits for it.
      if (step === 'AwaitPredecessor' && !state.predecessorId) continue;
      // The ASL's IsClaimed Choice: a claimed warm member only restores its files and gets ready.
      if (state.claimed && step !== 'RestoreFiles' && step !== 'MarkReady') continue;
      try {
        await this.beforeStep(step, state);
        state = await this.runStep(step, state);
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

  /** A step; a wait loop's check runs again (no pause) until ready or out of checks, as the ASL's Choice does. */
  private async runStep(step: ProvisionStepName, state: ProvisionState): Promise<ProvisionState> {
    const loop = LOOPS[step];
    let out = await STEP_FUNCTIONS[step](this.deps(), state);
    if (!loop) return out;
    while (!out.ready) {
      if ((out.checks ?? 0) >= loop.maxChecks) throw loop.giveUp();
      out = await STEP_FUNCTIONS[step](this.deps(), out);
    }
    return out;
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

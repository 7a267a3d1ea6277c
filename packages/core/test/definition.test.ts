import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PROVISION_STEPS,
  endWorkspace,
  RestoreIncomplete,
  PROVISION_LOOPS,
  PROVISION_STEPS,
  PROVISION_WAITS,
  functionArnPlaceholder,
  installPromiseWithResolvers,
  loadBerthConfig,
  provisioningDefinition,
  provisioningDefinitionWith,
  type ProvisionState,
  type ProvisionStepName,
} from '@berth/core';
import { STEP_FUNCTIONS } from './support/fake-provisioner.js';
import { makeDeps, seedWorkspace, type TestDeps } from './support/make-deps.js';

const ALL_STEPS = ALL_PROVISION_STEPS;
const arn = (step: ProvisionStepName) => `arn:aws:lambda:us-east-1:123456789012:function:berth-${step}`;

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface AnyState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Seconds?: number;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Choices?: { Variable: string; Next: string; BooleanEquals?: boolean; NumericGreaterThanEquals?: number }[];
  Default?: string;
  Branches?: { StartAt: string; States: Record<string, AnyState> }[];
  Next?: string;
  End?: boolean;
}
type Definition = { StartAt: string; TimeoutSeconds: number; States: Record<string, AnyState> };

const def = provisioningDefinition() as unknown as Definition;
const branch = def.States.Provision!.Branches![0]!;
const inBranch = branch.States;

/** ASL retry pauses of one retrier, every attempt used (before jitter, which only shortens them). */
const retryPauses = (r: Retrier) =>
  Array.from({ length: r.MaxAttempts ?? 3 }, (_, k) =>
    Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k, r.MaxDelaySeconds ?? Infinity),
  ).reduce((a, b) => a + b, 0);
/** A Task's retry pauses, all retriers exhausted. */
const pausesOf = (s: AnyState) => (s.Retry ?? []).reduce((sum, r) => sum + retryPauses(r), 0);
/** The worst a Task may take: every attempt (each retrier's, plus the first) runs to its TimeoutSeconds. */
const worstOf = (s: AnyState) =>
  (1 + (s.Retry ?? []).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0)) * s.TimeoutSeconds! + pausesOf(s);
/** A wait loop's checks, pauses and retries, nominal (each check polls its budget) or worst. */
function loopSeconds(
  check: 'WaitForEndpoint' | 'WaitForHealthy' | 'AwaitPredecessor',
  choice: string,
  budgetS: number,
) {
  const bound = inBranch[choice]!.Choices!.find((c) => c.NumericGreaterThanEquals !== undefined)!;
  const wait = inBranch[inBranch[choice]!.Default!]!;
  const checks = bound.NumericGreaterThanEquals!;
  const task = inBranch[check]!;
  return {
    nominal: checks * budgetS + (checks - 1) * wait.Seconds! + pausesOf(task),
    worst: checks * worstOf(task) + (checks - 1) * wait.Seconds!,
  };
}

describe('provisioning definition (ASL)', () => {
  const text = JSON.stringify(def);

  it('is JSONPath only: no JSONata, no Assign, no Arguments/Output (so aws-local-stepfunctions runs it)', () => {
    expect(text).not.toMatch(/JSONata/i);
    expect(text).not.toContain('"QueryLanguage"');
    expect(text).not.toContain('"Assign"');
    expect(text).not.toContain('"Arguments"');
    expect(text).not.toContain('"Output"');
    expect(text).not.toContain('{%');
  });

  it('runs the steps in order inside one Parallel branch, the waits as Wait → check → Choice loops', () => {
    expect(def.StartAt).toBe('Provision');
    // A claimed warm member skips to its files; every other start begins at StartContainer.
    expect(branch.StartAt).toBe('IsClaimed');
    expect(inBranch.IsClaimed).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.claimed', IsPresent: true, Next: 'RestoreFiles' }],
      Default: 'StartContainer',
    });
    const order: string[] = [];
    let name: string | undefined = inBranch.IsClaimed!.Default;
    while (name) {
      const s: AnyState = inBranch[name]!;
      if (s.Type === 'Task') order.push(name);
      // Follow a Choice's "ready" rule: the way forward.
      name = s.Type === 'Choice' ? s.Choices![0]!.Next : s.End ? undefined : s.Next;
    }
    expect(order).toEqual([...PROVISION_STEPS]);
    for (const [check, choice, wait] of [
      ['WaitForEndpoint', 'EndpointKnown', 'EndpointWait'],
      ['WaitForHealthy', 'AgentHealthy', 'HealthWait'],
    ] as const) {
      expect(inBranch[check]!.Next).toBe(choice);
      expect(inBranch[choice]!.Choices![0]).toMatchObject({ Variable: '$.ready', BooleanEquals: true });
      expect(inBranch[choice]!.Default).toBe(wait);
      expect(inBranch[wait]).toMatchObject({ Type: 'Wait', Next: check });
      expect(PROVISION_WAITS).toContain(wait);
    }
    expect(inBranch.EndpointNeverCame).toMatchObject({ Type: 'Fail', Error: 'EndpointPending' });
    expect(inBranch.AgentNeverHealthy).toMatchObject({ Type: 'Fail', Error: 'AgentNotHealthy' });
  });

  it('catches States.ALL around the whole branch into MarkFailed with the error at $.error', () => {
    expect(def.States.Provision!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' },
    ]);
    // Nothing inside the branch catches: every error reaches the one Catch.
    for (const s of Object.values(inBranch)) expect(s.Catch).toBeUndefined();
    expect(def.States.MarkFailed!.Next).toBe('Failed');
    expect(def.States.Failed!.Type).toBe('Fail');
  });

  it('retries ECS throttling with exponential backoff, full jitter and a cap, on RunTask and DescribeTasks', () => {
    for (const step of ['StartContainer', 'WaitForEndpoint', 'WaitForHealthy']) {
      const r = inBranch[step]!.Retry!.find((x) => x.ErrorEquals.includes('Throttled'));
      expect(r, step).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2 });
      expect(r!.MaxDelaySeconds, step).toBeGreaterThan(0);
    }
    expect(inBranch.StartContainer!.Retry![0]!.ErrorEquals).toContain('CapacityUnavailable');
  });

  it('fits its retries and loops in the provisioning deadline, and its machine timeout above every worst case', () => {
    const { deadlineMs, endpointTimeoutMs, healthTimeoutMs } = loadBerthConfig().provisioning;
    const endpoint = loopSeconds('WaitForEndpoint', 'EndpointKnown', endpointTimeoutMs / 1000);
    const health = loopSeconds('WaitForHealthy', 'AgentHealthy', healthTimeoutMs / 1000);
    // Until ready to restore (the restore moves the deadline out by its size): pauses + loops, nominal.
    const beforeRestore = pausesOf(inBranch.StartContainer!) + endpoint.nominal + health.nominal;
    expect(beforeRestore).toBeLessThanOrEqual(deadlineMs / 1000);
    // Each step also fails ProvisioningTimedOut past the deadline; whatever happens, MarkFailed gets to run
    // before the machine's own (uncatchable) timeout: the worst of every attempt, then MarkFailed's worst.
    // Waiting for a predecessor moves the deadline out by itself (to the predecessor's): counted here only.
    const predecessor = loopSeconds('AwaitPredecessor', 'PredecessorEnded', 0);
    const work =
      worstOf(inBranch.StartContainer!) +
      endpoint.worst +
      health.worst +
      predecessor.worst +
      worstOf(inBranch.RestoreFiles!) +
      worstOf(inBranch.MarkReady!);
    expect(work + worstOf(def.States.MarkFailed!)).toBeLessThan(def.TimeoutSeconds);
    // And not absurdly beyond it.
    expect(def.TimeoutSeconds).toBeLessThan((work + worstOf(def.States.MarkFailed!)) * 1.5);
    expect(PROVISION_LOOPS.endpoint.maxChecks).toBe(
      inBranch.EndpointKnown!.Choices![1]!.NumericGreaterThanEquals,
    );
  });

  it('gives every Task a TimeoutSeconds and names its resource by its placeholder; substitution replaces each', () => {
    const tasks: Record<string, (typeof inBranch)[string]> = {
      ...inBranch,
      MarkFailed: def.States.MarkFailed!,
    };
    for (const step of ALL_STEPS) {
      expect(tasks[step]!.Resource).toBe(functionArnPlaceholder(step));
      expect(tasks[step]!.TimeoutSeconds, step).toBeGreaterThan(0);
    }
    const subText = JSON.stringify(provisioningDefinitionWith(arn));
    expect(subText).not.toContain('${');
    for (const step of ALL_STEPS) expect(subText).toContain(`"${arn(step)}"`);
    // Nothing but the resources changed.
    expect(
      JSON.parse(
        subText.replace(/arn:aws:lambda:us-east-1:123456789012:function:berth-(\w+)/g, '$${$1FunctionArn}'),
      ),
    ).toEqual(def);
  });
});

describe('provisioning definition run by aws-local-stepfunctions', () => {
  // Constructing validates the definition against the ASL schema (slow: once per file).
  let sm: StateMachine;
  beforeAll(() => {
    installPromiseWithResolvers();
    sm = new StateMachine(provisioningDefinitionWith(arn) as never);
  });

  /** The real steps against fake deps, each call recorded with the state it received. */
  function machine(
    deps: TestDeps,
    wrap: Partial<Record<ProvisionStepName, (s: ProvisionState) => Promise<ProvisionState>>> = {},
  ) {
    const calls: { step: ProvisionStepName; input: ProvisionState }[] = [];
    const handlers = Object.fromEntries(
      ALL_STEPS.map((step) => [
        step,
        async (input: ProvisionState) => {
          calls.push({ step, input: structuredClone(input) });
          return (wrap[step] ?? ((s: ProvisionState) => STEP_FUNCTIONS[step](deps, s)))(input);
        },
      ]),
    );
    const run = (workspaceId: string, input: Partial<ProvisionState> = {}) =>
      sm.run({ workspaceId, ...input } as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          retryIntervalOverrides: Object.fromEntries(ALL_STEPS.map((s) => [s, 1])),
          waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 1])),
        },
      });
    return { calls, run };
  }

  it('happy path: the steps run in order and the workspace is ready', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps);
    const out = (await m.run(ws.id).result) as unknown as ProvisionState;
    // No predecessor: the HasPredecessor Choice skips its wait.
    expect(m.calls.map((c) => c.step)).toEqual(PROVISION_STEPS.filter((s) => s !== 'AwaitPredecessor'));
    expect(out).toMatchObject({ workspaceId: ws.id, taskRef: 'task-1', restored: false });
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it("a predecessor still stopping: the restore waits until it ended, the start's deadline moved out meanwhile", async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const previous = seedWorkspace(deps, { status: 'stopping', deadlineAt: now + 100_000 });
    const ws = seedWorkspace(deps, {
      status: 'provisioning',
      taskRef: null,
      endpoint: null,
      conversationId: 'c-next',
      deadlineAt: now + 1_000,
    });
    let checks = 0;
    const m = machine(deps, {
      AwaitPredecessor: async (s) => {
        if (++checks === 2) {
          expect(deps.store.peek(ws.id)!.deadlineAt).toBe(
            now + 100_000 + deps.config.provisioning.deadlineMs,
          );
        }
        // The stop worker finishes on the third look.
        if (checks === 3) await endWorkspace(deps, previous.id, 'stopped', 'deleted');
        return STEP_FUNCTIONS.AwaitPredecessor(deps, s);
      },
      RestoreFiles: async (s) => {
        expect(deps.store.peek(previous.id)!.status).toBe('stopped');
        return STEP_FUNCTIONS.RestoreFiles(deps, s);
      },
    });
    await m.run(ws.id, { predecessorId: previous.id }).result;
    const steps = m.calls.map((c) => c.step);
    expect(steps.filter((s) => s === 'AwaitPredecessor')).toHaveLength(3);
    expect(steps.indexOf('RestoreFiles')).toBeGreaterThan(steps.lastIndexOf('AwaitPredecessor'));
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('a predecessor stuck past its own deadline: the start goes on with the last snapshot', async () => {
    const deps = makeDeps();
    const previous = seedWorkspace(deps, { status: 'stopping', deadlineAt: deps.clock.now() - 1 });
    const ws = seedWorkspace(deps, {
      status: 'provisioning',
      taskRef: null,
      endpoint: null,
      conversationId: 'c2',
    });
    const m = machine(deps);
    await m.run(ws.id, { predecessorId: previous.id }).result;
    expect(m.calls.filter((c) => c.step === 'AwaitPredecessor')).toHaveLength(1);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('a claimed warm member only restores its files and gets ready, on the container it has', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning' });
    const m = machine(deps);
    await m.run(ws.id, { claimed: true }).result;
    expect(m.calls.map((c) => c.step)).toEqual(['RestoreFiles', 'MarkReady']);
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'ready', taskRef: ws.taskRef });
  });

  it('an endpoint that is not there at first: the loop waits and checks again, then succeeds', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    let misses = 2;
    const m = machine(deps, {
      WaitForEndpoint: async (s) =>
        misses-- > 0
          ? { ...s, ready: false, checks: (s.checks ?? 0) + 1 }
          : STEP_FUNCTIONS.WaitForEndpoint(deps, s),
    });
    await m.run(ws.id).result;
    expect(m.calls.map((c) => c.step)).toEqual([
      'StartContainer',
      'WaitForEndpoint',
      'WaitForEndpoint',
      'WaitForEndpoint',
      'WaitForHealthy',
      'RestoreFiles',
      'MarkReady',
    ]);
    // The count travels through the loop, and the health loop starts from zero.
    expect(m.calls.filter((c) => c.step === 'WaitForEndpoint').map((c) => c.input.checks)).toEqual([
      undefined,
      1,
      2,
    ]);
    expect(m.calls.find((c) => c.step === 'WaitForHealthy')!.input.checks).toBe(0);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('a TaskStoppedEarly goes to MarkFailed with $.error.Error set, and the execution fails', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps, {
      WaitForEndpoint: async (s) => {
        deps.runtime.setState(s.taskRef!, 'stopped', {
          stoppedReason: 'CannotPullContainerError: pull access denied',
        });
        return STEP_FUNCTIONS.WaitForEndpoint(deps, s);
      },
    });
    const failure = await m.run(ws.id).result.then(
      () => null,
      (e: Error) => e,
    );
    expect(failure).not.toBeNull();
    expect(failure!.name).toBe('ExecutionError');
    expect((failure!.cause as Error).name).toBe('ProvisioningFailed');
    // No retry for TaskStoppedEarly: straight to the Catch.
    expect(m.calls.map((c) => c.step)).toEqual(['StartContainer', 'WaitForEndpoint', 'MarkFailed']);
    const markFailed = m.calls[2]!.input;
    expect(markFailed.error?.Error).toBe('TaskStoppedEarly');
    expect(markFailed.error?.Cause).toContain('CannotPullContainerError');
    // The Catch hands MarkFailed the execution's input: it finds the task through the workspace record.
    expect(markFailed.workspaceId).toBe(ws.id);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:TaskStoppedEarly',
    });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('an endpoint that never comes exhausts the loop checks and fails the workspace EndpointPending', async () => {
    const deps = makeDeps();
    deps.runtime.endpointAtStart = false;
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps);
    await expect(m.run(ws.id).result).rejects.toThrow();
    expect(m.calls.filter((c) => c.step === 'WaitForEndpoint')).toHaveLength(
      PROVISION_LOOPS.endpoint.maxChecks,
    );
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('provision_failed:EndpointPending');
    expect(deps.runtime.running()).toEqual([]);
  });

  it('a RestoreIncomplete is never retried: the workspace fails provision_failed:restore_incomplete', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps, {
      RestoreFiles: async () => {
        throw new RestoreIncomplete('restored files differ from the snapshot');
      },
    });
    await expect(m.run(ws.id).result).rejects.toThrow();
    expect(m.calls.filter((c) => c.step === 'RestoreFiles')).toHaveLength(1);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:restore_incomplete',
    });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('any other RestoreFiles error is retried (twice)', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps, {
      RestoreFiles: async () => {
        throw new Error('agent unreachable');
      },
    });
    await expect(m.run(ws.id).result).rejects.toThrow();
    expect(m.calls.filter((c) => c.step === 'RestoreFiles')).toHaveLength(3);
  });
});

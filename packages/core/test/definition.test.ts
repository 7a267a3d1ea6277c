import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  RestoreIncomplete,
  EndpointPending,
  PROVISION_STEPS,
  functionArnPlaceholder,
  installPromiseWithResolvers,
  provisioningDefinition,
  provisioningDefinitionWith,
  type ProvisionState,
  type ProvisionStepName,
} from '@berth/core';
import { STEP_FUNCTIONS } from './support/fake-provisioner.js';
import { makeDeps, seedWorkspace, type TestDeps } from './support/make-deps.js';

const ALL_STEPS = [...PROVISION_STEPS, 'MarkFailed'] as const;
const arn = (step: ProvisionStepName) => `arn:aws:lambda:us-east-1:123456789012:function:berth-${step}`;

type Definition = ReturnType<typeof provisioningDefinition>;
type AnyState = {
  Type: string;
  Resource?: string;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Next?: string;
  End?: boolean;
};

describe('provisioning definition (ASL)', () => {
  const def = provisioningDefinition() as unknown as Omit<Definition, 'States'> & {
    States: Record<string, AnyState>;
  };
  const text = JSON.stringify(def);

  it('is JSONPath only: no JSONata, no Assign, no Arguments/Output (so aws-local-stepfunctions runs it)', () => {
    expect(text).not.toMatch(/JSONata/i);
    expect(text).not.toContain('"QueryLanguage"');
    expect(text).not.toContain('"Assign"');
    expect(text).not.toContain('"Arguments"');
    expect(text).not.toContain('"Output"');
    expect(text).not.toContain('{%');
  });

  it('starts at StartContainer and runs the steps in order to MarkReady', () => {
    expect(def.StartAt).toBe('StartContainer');
    let name: string | undefined = def.StartAt;
    const order: string[] = [];
    while (name) {
      order.push(name);
      const s: AnyState = def.States[name]!;
      name = s.End ? undefined : s.Next;
    }
    expect(order).toEqual([...PROVISION_STEPS]);
  });

  it('gives every Task but MarkFailed a Catch of States.ALL to MarkFailed with the error at $.error', () => {
    const tasks = Object.entries(def.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual([...ALL_STEPS].sort());
    for (const [name, s] of tasks) {
      if (name === 'MarkFailed') continue;
      expect(s.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' },
      ]);
    }
    expect(def.States.MarkFailed!.Next).toBe('Failed');
    expect(def.States.Failed!.Type).toBe('Fail');
  });

  it('names each Task resource by its placeholder, and provisioningDefinitionWith substitutes every one', () => {
    for (const step of ALL_STEPS) expect(def.States[step]!.Resource).toBe(functionArnPlaceholder(step));
    const sub = provisioningDefinitionWith(arn) as unknown as { States: Record<string, AnyState> };
    const subText = JSON.stringify(sub);
    expect(subText).not.toContain('${');
    for (const step of ALL_STEPS) expect(sub.States[step]!.Resource).toBe(arn(step));
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
    const run = (workspaceId: string) =>
      sm.run({ workspaceId } as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          retryIntervalOverrides: Object.fromEntries(ALL_STEPS.map((s) => [s, 1])),
        },
      });
    return { calls, run };
  }

  it('happy path: the steps run in order and the workspace is ready', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps);
    const out = (await m.run(ws.id).result) as unknown as ProvisionState;
    expect(m.calls.map((c) => c.step)).toEqual([...PROVISION_STEPS]);
    expect(out).toMatchObject({ workspaceId: ws.id, taskRef: 'task-1', restored: false });
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('an EndpointPending thrown once is retried (matched by the error name) and then succeeds', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    let thrown = 0;
    const m = machine(deps, {
      WaitForEndpoint: async (s) => {
        if (thrown++ === 0) throw new EndpointPending('not yet');
        return STEP_FUNCTIONS.WaitForEndpoint(deps, s);
      },
    });
    await m.run(ws.id).result;
    expect(m.calls.map((c) => c.step)).toEqual([
      'StartContainer',
      'WaitForEndpoint',
      'WaitForEndpoint',
      'WaitForHealthy',
      'RestoreFiles',
      'MarkReady',
    ]);
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
    expect(markFailed.taskRef).toBe('task-1');
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:TaskStoppedEarly',
    });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('an EndpointPending that persists exhausts its retries (3 attempts) and fails the workspace', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const m = machine(deps, {
      WaitForEndpoint: async () => {
        throw new EndpointPending('never');
      },
    });
    await expect(m.run(ws.id).result).rejects.toThrow();
    expect(m.calls.filter((c) => c.step === 'WaitForEndpoint')).toHaveLength(3);
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

import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PROVISION_STEPS,
  PROVISION_LOOPS,
  PROVISION_STEPS,
  PROVISION_WAITS,
  provisioningDefinitionWith,
  type ProvisionState,
  type ProvisionStepName,
} from '@berth/core';
import { StaticTenantResolver, createProvisionStepHandler } from '@berth/functions';
import { makeDeps, seedWorkspace } from '../../core/test/support/make-deps.js';
import { lambdaContext } from './support/api-event.js';
import { quietObservability } from './support/app.js';

let sm: StateMachine;
beforeAll(() => {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  // Schema validation takes over a second; core's definition.test.ts already validates this very definition.
  sm = new StateMachine(
    provisioningDefinitionWith((s) => `arn:aws:lambda:us-east-1:123456789012:function:berth-${s}`) as never,
    { validationOptions: { noValidate: true } },
  );
});

const STEPS = ALL_PROVISION_STEPS;

/** The deployed shape: each state a middy-wrapped Lambda handler, run by the very definition the cloud runs. */
function machine() {
  const deps = Object.assign(makeDeps(), { tenants: StaticTenantResolver.parse('tenantA:keyAAAAAAAA') });
  const obs = quietObservability();
  const seen: ProvisionStepName[] = [];
  const handlers = Object.fromEntries(
    STEPS.map((step) => {
      const h = createProvisionStepHandler(step, () => deps, obs);
      return [
        step,
        (state: ProvisionState) => {
          seen.push(step);
          return h(state, lambdaContext(`berth-${step}`));
        },
      ];
    }),
  );
  const run = (workspaceId: string) =>
    sm.run({ workspaceId } as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: Object.fromEntries(STEPS.map((s) => [s, 1])),
        waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 1])),
      },
    }).result;
  return { deps, seen, run };
}

describe('provision step handlers inside the state machine', () => {
  it('provision a workspace to ready', async () => {
    const { deps, seen, run } = machine();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    await run(ws.id);
    // No predecessor: the machine skips AwaitPredecessor.
    expect(seen).toEqual(PROVISION_STEPS.filter((s) => s !== 'AwaitPredecessor'));
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('answer the loop through middy (ready/checks), and the Catch records the Fail state when checks run out', async () => {
    const { deps, seen, run } = machine();
    deps.runtime.endpointAtStart = false;
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    // Every check runs out of its (30 ms) budget and answers "not yet"; the Choice gives up, then the Catch.
    await expect(run(ws.id)).rejects.toThrow();
    expect(seen).toEqual([
      'StartContainer',
      ...Array<ProvisionStepName>(PROVISION_LOOPS.endpoint.maxChecks).fill('WaitForEndpoint'),
      'MarkFailed',
    ]);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:EndpointPending',
    });
    expect(deps.runtime.running()).toEqual([]);
  });

  it('keep the error name through middy, so the Catch records TaskStoppedEarly', async () => {
    const { deps, seen, run } = machine();
    deps.runtime.endpointAtStart = false;
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    const describe = deps.runtime.describe.bind(deps.runtime);
    deps.runtime.describe = (taskRef) => {
      deps.runtime.setState(taskRef, 'stopped', { stoppedReason: 'CannotPullContainerError' });
      return describe(taskRef);
    };
    await expect(run(ws.id)).rejects.toThrow();
    expect(seen).toEqual(['StartContainer', 'WaitForEndpoint', 'MarkFailed']);
    expect(deps.store.peek(ws.id)!.terminationReason).toBe('provision_failed:TaskStoppedEarly');
  });
});

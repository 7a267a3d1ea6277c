import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PROVISION_STEPS,
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

const STEPS = [...PROVISION_STEPS, 'MarkFailed'] as const;

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
      },
    }).result;
  return { deps, seen, run };
}

describe('provision step handlers inside the state machine', () => {
  it('provision a workspace to ready', async () => {
    const { deps, seen, run } = machine();
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    await run(ws.id);
    expect(seen).toEqual([...PROVISION_STEPS]);
    expect(deps.store.peek(ws.id)!.status).toBe('ready');
  });

  it('keep the error name through middy, so Retry matches EndpointPending and Catch records TaskStoppedEarly', async () => {
    const { deps, seen, run } = machine();
    deps.runtime.endpointAtStart = false;
    const ws = seedWorkspace(deps, { status: 'provisioning', taskRef: null, endpoint: null });
    // Every attempt runs out of its (30 ms) endpoint budget: EndpointPending, retried twice, then the Catch.
    await expect(run(ws.id)).rejects.toThrow();
    expect(seen).toEqual([
      'StartContainer',
      'WaitForEndpoint',
      'WaitForEndpoint',
      'WaitForEndpoint',
      'MarkFailed',
    ]);
    expect(deps.store.peek(ws.id)).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:EndpointPending',
    });
    expect(deps.runtime.running()).toEqual([]);
  });
});

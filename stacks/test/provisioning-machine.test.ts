import {
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { StateMachine } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PROVISION_STEPS,
  PROVISION_STEP_FUNCTIONS,
  PROVISION_WAITS,
  installPromiseWithResolvers,
  type ProvisionState,
  type ServiceDeps,
} from '../../packages/core/src/index.js';
import { EcsRuntime } from '../../packages/aws/src/ecs/ecs-runtime.js';
import { CLUSTER, TASK_DEF, ecsTask, taskArn } from '../../packages/aws/test/ecs/ecs-fixtures.js';
import { makeDeps, seedWorkspace } from '../../packages/core/test/support/make-deps.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Network } from '../Network.js';
import { Provisioning } from '../Provisioning.js';
import { Workspaces } from '../Workspaces.js';
import { synthStacks } from './synth.js';

/**
 * THE proof that the deployed machine runs: the definition is taken from the synthesized template (its
 * DefinitionString, each `${<Step>FunctionArn}` of DefinitionSubstitutions pointed at a local step) and run
 * by aws-local-stepfunctions; each step is the real core step over EcsRuntime on aws-sdk-client-mock.
 */
let definition: unknown;
beforeAll(async () => {
  installPromiseWithResolvers();
  const t = (await synthStacks([Data, Network, EgressGateway, Workspaces, Provisioning])).get(Provisioning)!;
  const props = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0]!.Properties;
  let text = props.DefinitionString as string;
  for (const key of Object.keys(props.DefinitionSubstitutions as object)) {
    text = text.split(`\${${key}}`).join(`arn:aws:lambda:us-east-1:123456789012:function:${key}`);
  }
  definition = JSON.parse(text);
}, 120_000);

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

const throttled = () =>
  new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });

function world() {
  const base = makeDeps();
  const runtime = new EcsRuntime({
    cluster: CLUSTER,
    subnets: ['subnet-0a1b2c3d4e5f6a7b8'],
    securityGroups: ['sg-0123456789abcdef0'],
    taskDefinitionFor: () => TASK_DEF,
    clientConfig: { region: 'us-east-1' },
  });
  const deps: ServiceDeps = { ...base, runtime };
  const ws = seedWorkspace(base, { status: 'provisioning', taskRef: null, endpoint: null });
  const handlers = Object.fromEntries(
    ALL_PROVISION_STEPS.map((s) => [s, (st: ProvisionState) => PROVISION_STEP_FUNCTIONS[s](deps, st)]),
  );
  const run = () =>
    new StateMachine(definition as never, { validationOptions: { noValidate: true } })
      .run({ workspaceId: ws.id } as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          retryIntervalOverrides: Object.fromEntries(ALL_PROVISION_STEPS.map((s) => [s, 1])),
          waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 1])),
        },
      })
      .result.then(
        () => 'succeeded',
        () => 'failed',
      );
  const record = () => base.store.peek(ws.id)!;
  return { base, ws, run, record };
}

const accepted = (id: string) => ({ tasks: [ecsTask({ id, lastStatus: 'PROVISIONING' })], failures: [] });
const running = (id: string) => ({ tasks: [ecsTask({ id, lastStatus: 'RUNNING', ip: '10.0.3.17' })] });
const runTasks = () => ecs.commandCalls(RunTaskCommand).length;
const stopped = () => ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task);

describe('the synthesized provisioning machine over EcsRuntime', () => {
  it('success: one task, ready', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves(accepted('t1'));
    ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [ecsTask({ id: 't1', lastStatus: 'PENDING' })] })
      .resolves(running('t1'));
    expect(await w.run()).toBe('succeeded');
    expect(w.record()).toMatchObject({ status: 'ready', taskRef: taskArn('t1') });
    expect(runTasks()).toBe(1);
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.clientToken).toBe(w.ws.id);
  });

  it('RunTask failures[]: failed with the reason, no task', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'MISSING', arn: TASK_DEF }] });
    expect(await w.run()).toBe('failed');
    expect(w.record()).toMatchObject({
      status: 'failed',
      terminationReason: 'provision_failed:RunTaskFailed',
    });
  });

  it('RunTask throttled twice then accepted: exactly one task', async () => {
    const w = world();
    ecs.on(RunTaskCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves(accepted('t2'));
    ecs.on(DescribeTasksCommand).resolves(running('t2'));
    expect(await w.run()).toBe('succeeded');
    expect(runTasks()).toBe(3);
    expect(new Set(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.clientToken)).size).toBe(1);
    expect(w.record()).toMatchObject({ status: 'ready', taskRef: taskArn('t2') });
  });

  it('DescribeTasks throttled: retried by the machine, then ready', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves(accepted('t3'));
    ecs.on(DescribeTasksCommand).rejectsOnce(throttled()).resolves(running('t3'));
    expect(await w.run()).toBe('succeeded');
    expect(w.record().status).toBe('ready');
  });

  it('IP never appears: failed EndpointPending, task stopped', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves(accepted('t4'));
    ecs.on(DescribeTasksCommand).resolves({ tasks: [ecsTask({ id: 't4', lastStatus: 'PENDING' })] });
    expect(await w.run()).toBe('failed');
    expect(w.record().terminationReason).toBe('provision_failed:EndpointPending');
    expect(stopped()).toContain(taskArn('t4'));
  });

  it('health never OK: failed AgentNotHealthy, task stopped', async () => {
    const w = world();
    w.base.workspaceAgent.healthy = false;
    ecs.on(RunTaskCommand).resolves(accepted('t5'));
    ecs.on(DescribeTasksCommand).resolves(running('t5'));
    expect(await w.run()).toBe('failed');
    expect(w.record().terminationReason).toBe('provision_failed:AgentNotHealthy');
    expect(stopped()).toContain(taskArn('t5'));
  });

  it('task stops while waiting: failed TaskStoppedEarly, task stopped', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves(accepted('t6'));
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [ecsTask({ id: 't6', lastStatus: 'STOPPED', stoppedReason: 'CannotPullContainerError' })],
    });
    expect(await w.run()).toBe('failed');
    expect(w.record().terminationReason).toBe('provision_failed:TaskStoppedEarly');
    expect(stopped()).toContain(taskArn('t6'));
  });

  it('the provisioning deadline passes while waiting: MarkFailed still runs (timeout), task stopped', async () => {
    const w = world();
    ecs.on(RunTaskCommand).resolves(accepted('t7'));
    ecs.on(DescribeTasksCommand).callsFake(() => {
      w.base.clock.advance(60_000);
      return { tasks: [ecsTask({ id: 't7', lastStatus: 'PENDING' })] };
    });
    expect(await w.run()).toBe('failed');
    expect(w.record()).toMatchObject({ status: 'failed', terminationReason: 'provision_failed:timeout' });
    expect(stopped()).toContain(taskArn('t7'));
    expect(runTasks()).toBe(1);
  });
});

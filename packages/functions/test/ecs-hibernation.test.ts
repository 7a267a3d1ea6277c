import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EcsRuntime, S3BlobStore, StepFunctionsProvisioner, parseEcsTaskStateChange } from '@berth/aws';
import {
  ALL_PROVISION_STEPS,
  HttpWorkspaceAgentClient,
  PROVISION_STEP_FUNCTIONS,
  PROVISION_WAITS,
  acquireWorkspace,
  installPromiseWithResolvers,
  onTaskStopped,
  pauseWorkspace,
  provisioningDefinitionWith,
  readAll,
  readWorkspaceFile,
  refillPool,
  resumeWorkspace,
  writeWorkspaceFile,
  type ProvisionState,
  inProcessStopper,
  type ServiceDeps,
} from '@berth/core';
import { StateMachine } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER, TASK_DEF } from '../../aws/test/ecs/ecs-fixtures.js';
import { ecsEvent } from '../../aws/test/ecs/ecs-task-state-events.js';
import { freshBucket, localS3Client, useFauxqs } from '../../aws/test/support/fauxqs.js';
import { makeDeps } from '../../core/test/support/make-deps.js';
import { snapshotFiles } from '../../core/test/support/tar-files.js';
import { SimulatedEcsCluster } from './support/ecs-cluster.js';

/**
 * Pause and resume on ECS as deployed, but for ECS and Step Functions themselves: EcsRuntime over a simulated
 * cluster (aws-sdk-client-mock; each task a real workspace agent over HTTP), snapshots in S3 (the fauxqs
 * emulator), provisioning by the core's state machine definition (aws-local-stepfunctions) started through
 * StepFunctionsProvisioner, whose StartExecution refuses a name used before, as Step Functions does.
 */
const s3 = useFauxqs();
beforeAll(() => installPromiseWithResolvers());

const done: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of done.splice(0)) await d();
});

async function world() {
  const cluster = await SimulatedEcsCluster.start();
  const agents = new HttpWorkspaceAgentClient();
  const s3Client = localS3Client(s3);
  const sfn = simulatedStepFunctions(() => deps);
  const deps: ServiceDeps = {
    ...makeDeps(),
    runtime: new EcsRuntime({
      cluster: CLUSTER,
      subnets: ['subnet-0a1b2c3d4e5f6a7b8'],
      securityGroups: ['sg-0123456789abcdef0'],
      taskDefinitionFor: () => TASK_DEF,
      agentPort: cluster.agentPort,
      clientConfig: { region: 'us-east-1' },
    }),
    blobs: new S3BlobStore({ bucket: await freshBucket(s3Client), client: s3Client }),
    workspaceAgent: agents,
    provisioner: sfn.provisioner,
    // The stop worker's part (files saved, task stopped) run in process, on this world's ECS and S3.
    stopper: inProcessStopper(() => deps),
  };
  done.push(async () => {
    await sfn.drain();
    sfn.restore();
    agents.close();
    await cluster.close();
    s3Client.destroy();
  });
  const { workspace } = await acquireWorkspace(deps, { tenantId: 't1', conversationId: 'c1' });
  expect(workspace).toMatchObject({ status: 'ready', runtime: 'ecs' });
  await writeWorkspaceFile(deps, 't1', workspace.id, 'notes.md', Buffer.from('keep me'));
  await writeWorkspaceFile(deps, 't1', workspace.id, 'src/main.py', Buffer.from('print(1)\n'));
  const record = () => deps.store.get(workspace.id, { now: Date.now(), includeExpired: true });
  return { cluster, deps, sfn, ws: workspace, record };
}

describe('pause and resume on ECS: hibernate', () => {
  it('pause saves the files to S3 before StopTask; the record is paused with no task and no endpoint', async () => {
    const { cluster, deps, ws, record } = await world();
    const first = cluster.task(ws.taskRef!);
    let savedAtStop: Record<string, string> | undefined;
    cluster.beforeStop = async () => {
      savedAtStop = await snapshotFiles(deps.blobs, 't1', 'c1');
    };

    const paused = await pauseWorkspace(deps, 't1', ws.id);
    expect(savedAtStop).toEqual({
      'notes.md': Buffer.from('keep me').toString('base64'),
      'src/main.py': Buffer.from('print(1)\n').toString('base64'),
    });
    expect(cluster.log).toEqual([`RunTask ${ws.id}`, `StopTask ${first.id} hibernated`]);
    expect(paused).toMatchObject({ status: 'paused', taskRef: null, endpoint: null, deadlineAt: null });
    expect(await record()).toEqual(paused);
    expect(await deps.runtime.describe(ws.taskRef!)).toMatchObject({
      state: 'stopped',
      stoppedReason: 'hibernated',
    });
  });

  it('resume starts the same workspace afresh (a RunTask token of its own) and restores its files from S3', async () => {
    const { cluster, deps, sfn, ws } = await world();
    await pauseWorkspace(deps, 't1', ws.id);

    const resumed = await resumeWorkspace(deps, 't1', ws.id);
    expect(resumed).toMatchObject({ id: ws.id, status: 'ready', runtime: 'ecs' });
    const second = cluster.task(resumed.taskRef!);
    expect(second.id).not.toBe(cluster.task(ws.taskRef!).id);
    expect(second.workspaceId).toBe(ws.id);
    expect(sfn.executions).toHaveLength(2);
    const tokens = cluster.log.filter((l) => l.startsWith('RunTask'));
    expect(new Set(tokens).size).toBe(2);
    // Restored into the new task's (empty) workspace directory, through its own agent.
    expect(await readFile(join(second.dir, 'ws', 'notes.md'), 'utf8')).toBe('keep me');
    expect(await readFile(join(second.dir, 'ws', 'src', 'main.py'), 'utf8')).toBe('print(1)\n');
    const read = await readWorkspaceFile(deps, 't1', ws.id, 'notes.md');
    expect(read.kind === 'file' && (await readAll(read.body, 1024)).toString()).toBe('keep me');
  });

  it("resume takes a warm member's task: no RunTask, files restored through the member's own agent", async () => {
    const { cluster, deps, sfn, ws } = await world();
    deps.config.templates.default!.pool = { min: 1, max: 1 };
    await refillPool(deps);
    await sfn.drain();
    const [memberStart] = cluster.log.filter((l) => l.startsWith('RunTask')).slice(1);
    await pauseWorkspace(deps, 't1', ws.id);

    const resumed = await resumeWorkspace(deps, 't1', ws.id);
    expect(resumed).toMatchObject({ id: ws.id, status: 'ready', runtime: 'ecs' });
    // Two tasks ever started: the workspace's first and the member's.
    expect(cluster.log.filter((l) => l.startsWith('RunTask'))).toEqual([`RunTask ${ws.id}`, memberStart]);
    const task = cluster.task(resumed.taskRef!);
    expect(task.workspaceId).toBe(resumed.agentId);
    expect(task.workspaceId).not.toBe(ws.id);
    // Its agent (a real one, checking every token against the identity it started with) took the restore.
    expect(await readFile(join(task.dir, 'ws', 'notes.md'), 'utf8')).toBe('keep me');
    const read = await readWorkspaceFile(deps, 't1', ws.id, 'src/main.py');
    expect(read.kind === 'file' && (await readAll(read.body, 1024)).toString()).toBe('print(1)\n');

    // Its stop event names the member; it is the workspace's task that died.
    const died = parseEcsTaskStateChange(
      ecsEvent({
        taskArn: resumed.taskRef!,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        startedBy: task.workspaceId,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: new Date().toISOString(),
      }),
    )!;
    expect(await onTaskStopped(deps, died)).toMatchObject({ id: ws.id, status: 'failed' });
  });

  it("the hibernated task's stop event (EventBridge) does not fail the workspace", async () => {
    const { deps, ws, record } = await world();
    const paused = await pauseWorkspace(deps, 't1', ws.id);
    const stopped = parseEcsTaskStateChange(
      ecsEvent({
        taskArn: ws.taskRef!,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        startedBy: ws.id,
        stopCode: 'UserInitiated',
        stoppedReason: 'hibernated',
        stoppedAt: new Date().toISOString(),
      }),
    )!;
    expect(await onTaskStopped(deps, stopped)).toBeNull();
    expect(await record()).toEqual(paused);
  });
});

/**
 * Step Functions for StepFunctionsProvisioner: StartExecution runs the provisioning definition in process, each
 * Task state the core step over `deps`. An execution name is used once (Step Functions keeps names 90 days):
 * again with the same input while it runs answers that execution, anything else ExecutionAlreadyExists.
 */
function simulatedStepFunctions(deps: () => ServiceDeps) {
  const sfn = mockClient(SFNClient);
  const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:berth-provision';
  const machine = new StateMachine(
    provisioningDefinitionWith((s) => `arn:aws:lambda:us-east-1:123456789012:function:berth-${s}`) as never,
    { validationOptions: { noValidate: true } },
  );
  const executions: { name: string; input: string; running: boolean; result: Promise<unknown> }[] = [];
  const handlers = Object.fromEntries(
    ALL_PROVISION_STEPS.map((s) => [s, (st: ProvisionState) => PROVISION_STEP_FUNCTIONS[s](deps(), st)]),
  );
  sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`;
    const same = executions.find((e) => e.name === input.name);
    if (same?.running && same.input === input.input) return { executionArn, startDate: new Date() };
    if (same) {
      throw new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${executionArn}'`,
        $metadata: {},
      });
    }
    const execution: (typeof executions)[number] = {
      name: input.name,
      input: input.input,
      running: true,
      result: Promise.resolve(),
    };
    execution.result = machine
      .run(JSON.parse(input.input) as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          retryIntervalOverrides: Object.fromEntries(ALL_PROVISION_STEPS.map((s) => [s, 1])),
          waitTimeOverrides: Object.fromEntries(PROVISION_WAITS.map((w) => [w, 1])),
        },
      })
      .result.catch(() => undefined)
      .finally(() => (execution.running = false));
    executions.push(execution);
    return { executionArn, startDate: new Date() };
  });
  return {
    provisioner: new StepFunctionsProvisioner({
      stateMachineArn,
      client: new SFNClient({ region: 'us-east-1' }),
    }),
    executions,
    drain: () => Promise.all(executions.map((e) => e.result)),
    restore: () => sfn.restore(),
  };
}

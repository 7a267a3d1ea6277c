import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  ECSServiceException,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import type { ContainerSpec } from '@berth/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsRuntime } from '../../src/ecs/ecs-runtime.js';
import { CLUSTER, STOPPED_AT, TASK_DEF, ecsTask, taskArn } from './ecs-fixtures.js';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

const runtime = (extra: Partial<ConstructorParameters<typeof EcsRuntime>[0]> = {}) =>
  new EcsRuntime({
    cluster: CLUSTER,
    subnets: ['subnet-0a1b2c3d4e5f6a7b8', 'subnet-0b1c2d3e4f5a6b7c8'],
    securityGroups: ['sg-0123456789abcdef0'],
    taskDefinitionFor: () => TASK_DEF,
    clientConfig: { region: 'us-east-1' },
    ...extra,
  });

const spec: ContainerSpec = {
  workspaceId: 'ws_m3abc0123456789abcdef',
  tenantId: 'tenant-a',
  template: 'default',
  image: 'berth-workspace',
  limits: { cpus: 2, memoryMiB: 2048, pids: 100, diskMiB: 5120 },
  env: { TZ: 'UTC' },
};

describe('EcsRuntime.start', () => {
  it('runs one awsvpc task without public IP, tagged and startedBy the workspace, its id in env overrides', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [ecsTask({ id: 'aaa111', lastStatus: 'PROVISIONING', workspaceId: spec.workspaceId })],
      failures: [],
    });
    await expect(runtime().start(spec)).resolves.toEqual({ taskRef: taskArn('aaa111') });
    const calls = ecs.commandCalls(RunTaskCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      cluster: CLUSTER,
      taskDefinition: TASK_DEF,
      count: 1,
      startedBy: spec.workspaceId,
      launchType: 'FARGATE',
      enableExecuteCommand: false,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0a1b2c3d4e5f6a7b8', 'subnet-0b1c2d3e4f5a6b7c8'],
          securityGroups: ['sg-0123456789abcdef0'],
          assignPublicIp: 'DISABLED',
        },
      },
    });
    expect(input.tags).toEqual([
      { key: 'berth:managed', value: 'true' },
      { key: 'berth:workspace-id', value: spec.workspaceId },
      { key: 'berth:tenant-id', value: 'tenant-a' },
      { key: 'berth:template', value: 'default' },
    ]);
    const overrides = input.overrides?.containerOverrides;
    expect(overrides).toHaveLength(1);
    expect(overrides?.[0]?.name).toBe('workspace');
    expect(overrides?.[0]?.environment).toEqual(
      expect.arrayContaining([
        { name: 'TZ', value: 'UTC' },
        { name: 'AGENT_LISTEN_MODE', value: 'http' },
        { name: 'AGENT_PORT', value: '9000' },
        { name: 'AGENT_WORKSPACE_ID', value: spec.workspaceId },
      ]),
    );
    // Nothing secret in RunTask (overrides show in DescribeTasks, task-state events and CloudTrail): no token,
    // no key; the agent checks signed tokens with the public key its task definition gives it.
    const names = (overrides?.[0]?.environment ?? []).map((e) => e.name);
    expect(names.filter((n) => /TOKEN|SECRET|PASSWORD|CREDENTIAL|KEY/.test(n!))).toEqual([]);
    expect(JSON.stringify(input)).not.toMatch(/bat1\.|PRIVATE KEY/);
    // Idempotent retries (one task per workspace) and the template's size as overrides: a valid Fargate size
    // holding the workspace's 2 GiB limit and the sidecar, the limit on the workspace container, the disk.
    expect(input.clientToken).toBe(spec.workspaceId);
    expect(input.overrides).toMatchObject({
      cpu: '2048',
      memory: '4096',
      ephemeralStorage: { sizeInGiB: 21 },
    });
    expect(overrides?.[0]?.memory).toBe(2048);
    // No credentials are handed to the task: no role override, no ECS Exec.
    expect(input.overrides).not.toHaveProperty('taskRoleArn');
    expect(input).not.toHaveProperty('capacityProviderStrategy');
  });

  it('uses the capacity provider strategy instead of a launch type when given, and the image as default family', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [ecsTask({ id: 'bbb', lastStatus: 'PROVISIONING' })] });
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    await runtime({ capacityProviderStrategy: strategy, taskDefinitionFor: undefined }).start(spec);
    const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(input.capacityProviderStrategy).toEqual(strategy);
    expect(input.launchType).toBeUndefined();
    expect(input.taskDefinition).toBe('berth-workspace');
  });

  it('turns a placement failure (RESOURCE:ENI) into CapacityUnavailable', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [
        { arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/abc', reason: 'RESOURCE:ENI' },
      ],
    });
    const err = await runtime()
      .start(spec)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('CapacityUnavailable');
    expect((err as Error).message).toMatch(/RESOURCE:ENI/);
  });

  it('turns Fargate capacity failures into CapacityUnavailable', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [
        {
          reason:
            'Capacity is unavailable at this time. Please try again later or in a different availability zone',
        },
      ],
    });
    await expect(runtime().start(spec)).rejects.toMatchObject({ name: 'CapacityUnavailable' });
  });

  it('fails clearly when the answer holds neither a task nor a known failure', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [] });
    await expect(runtime().start(spec)).rejects.toMatchObject({
      name: 'RunTaskFailed',
      message: expect.stringMatching(/no task/),
    });
  });

  it('turns ThrottlingException into Throttled (the state machine backs off on it)', async () => {
    ecs
      .on(RunTaskCommand)
      // ECS's model has no modeled throttling shape: it arrives as a service exception with that name.
      .rejects(
        new ECSServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      );
    await expect(runtime().start(spec)).rejects.toMatchObject({
      name: 'Throttled',
    });
  });

  it('passes a template of 0.5 vCPU / 1 GiB as task-level cpu 512 and memory 2048 (1 GiB + the sidecar, a Fargate size)', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [ecsTask({ id: 'small', lastStatus: 'PROVISIONING' })] });
    await runtime().start({ ...spec, limits: { ...spec.limits, cpus: 0.5, memoryMiB: 1024 } });
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides).toMatchObject({
      cpu: '512',
      memory: '2048',
    });
  });

  it('names the task definition when ECS rejects it', async () => {
    ecs
      .on(RunTaskCommand)
      .rejects(new InvalidParameterException({ message: 'TaskDefinition not found.', $metadata: {} }));
    await expect(runtime().start(spec)).rejects.toThrow(
      /RunTask rejected for .*berth-workspace:7.*not found/,
    );
  });
});

describe('EcsRuntime.describe', () => {
  const describeWith = async (task: ReturnType<typeof ecsTask>) => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task], failures: [] });
    return runtime().describe(task.taskArn!);
  };

  it('asks for tags, and reports a provisioning task as pending without endpoint', async () => {
    const s = await describeWith(ecsTask({ id: 'p1', lastStatus: 'PROVISIONING', workspaceId: 'ws_a' }));
    expect(s).toMatchObject({ state: 'pending', endpoint: null, workspaceId: 'ws_a' });
    expect(ecs.commandCalls(DescribeTasksCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER,
      tasks: [taskArn('p1')],
      include: ['TAGS'],
    });
  });

  it('reports a running task with its ENI private IP as an http endpoint on the agent port', async () => {
    const s = await describeWith(
      ecsTask({ id: 'r1', lastStatus: 'RUNNING', ip: '10.0.3.17', workspaceId: 'ws_run' }),
    );
    expect(s).toEqual({
      taskRef: taskArn('r1'),
      state: 'running',
      endpoint: { kind: 'http', host: '10.0.3.17', port: 9000 },
      workspaceId: 'ws_run',
      stoppedReason: null,
      exitCode: null,
      oomKilled: false,
      stoppedAt: null,
    });
  });

  it('falls back to startedBy for the workspace id when the task carries no Berth tag', async () => {
    const task = ecsTask({ id: 'r2', lastStatus: 'RUNNING', ip: '10.0.3.18', workspaceId: 'ws_sb' });
    task.tags = [];
    expect((await describeWith(task)).workspaceId).toBe('ws_sb');
  });

  it.each([
    ['PENDING', 'RUNNING', 'pending'],
    ['ACTIVATING', 'RUNNING', 'pending'],
    ['RUNNING', 'STOPPED', 'stopped'],
    ['DEACTIVATING', 'STOPPED', 'stopped'],
    ['STOPPING', 'STOPPED', 'stopped'],
    ['DEPROVISIONING', 'STOPPED', 'stopped'],
  ])('maps lastStatus %s (desired %s) to %s', async (lastStatus, desiredStatus, state) => {
    const s = await describeWith(ecsTask({ id: 'm', lastStatus, desiredStatus, ip: '10.0.0.9' }));
    expect(s.state).toBe(state);
    if (state !== 'running') expect(s.endpoint).toBeNull();
  });

  it('reports an OOM-killed task as stopped with its reason and exit code', async () => {
    const s = await describeWith(
      ecsTask({
        id: 'oom',
        lastStatus: 'STOPPED',
        workspaceId: 'ws_oom',
        stoppedReason: 'Essential container in task exited',
        containerReason: 'OutOfMemoryError: Container killed due to memory usage',
        exitCode: 137,
      }),
    );
    expect(s).toMatchObject({
      state: 'stopped',
      endpoint: null,
      stoppedReason: 'Essential container in task exited',
      exitCode: 137,
      oomKilled: true,
      stoppedAt: STOPPED_AT,
    });
  });

  it('reports an unknown task (failures MISSING) as missing without throwing', async () => {
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [],
      failures: [{ arn: taskArn('gone'), reason: 'MISSING' }],
    });
    await expect(runtime().describe(taskArn('gone'))).resolves.toMatchObject({
      taskRef: taskArn('gone'),
      state: 'missing',
      endpoint: null,
    });
  });

  it('turns a throttled DescribeTasks into Throttled (the check steps back off on it)', async () => {
    ecs.on(DescribeTasksCommand).rejects(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(runtime().describe(taskArn('t'))).rejects.toMatchObject({ name: 'Throttled' });
  });

  it('reports a malformed ref as missing (ECS answers InvalidParameterException)', async () => {
    ecs
      .on(DescribeTasksCommand)
      .rejects(new InvalidParameterException({ message: 'Invalid id', $metadata: {} }));
    await expect(runtime().describe('not-a-task')).resolves.toMatchObject({ state: 'missing' });
  });
});

describe('EcsRuntime.stop', () => {
  it('stops with the reason truncated to 255 characters', async () => {
    ecs
      .on(StopTaskCommand)
      .resolves({ task: ecsTask({ id: 's1', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' }) });
    await runtime().stop(taskArn('s1'), 'x'.repeat(400));
    const input = ecs.commandCalls(StopTaskCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ cluster: CLUSTER, task: taskArn('s1') });
    expect(input.reason).toHaveLength(255);
  });

  it('is idempotent: an unknown or long-stopped task resolves', async () => {
    ecs
      .on(StopTaskCommand)
      .resolvesOnce({ task: ecsTask({ id: 's2', lastStatus: 'STOPPED' }) })
      .rejects(
        new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }),
      );
    await expect(runtime().stop(taskArn('s2'), 'release')).resolves.toBeUndefined();
    await expect(runtime().stop(taskArn('s2'), 'release again')).resolves.toBeUndefined();
  });

  it('does not swallow other errors', async () => {
    ecs
      .on(StopTaskCommand)
      .rejects(Object.assign(new Error('AccessDenied'), { name: 'AccessDeniedException' }));
    await expect(runtime().stop(taskArn('s3'), 'x')).rejects.toThrow(/AccessDenied/);
  });
});

describe('EcsRuntime pause/resume', () => {
  it('are unsupported: unprocessable (422) with a clear message', async () => {
    await expect(runtime().pause(taskArn('p'))).rejects.toMatchObject({
      code: 'unprocessable',
      status: 422,
      message: expect.stringMatching(/ECS cannot freeze a task/),
    });
    await expect(runtime().resume(taskArn('p'))).rejects.toMatchObject({ code: 'unprocessable' });
    expect(ecs.calls()).toHaveLength(0);
  });
});

describe('EcsRuntime.list', () => {
  it('pages the tasks ECS still means to run (not STOPPED ones), describes in batches of 100 with tags, keeps Berth-tagged ones', async () => {
    const running = Array.from({ length: 150 }, (_, i) => taskArn(`run${i}`));
    ecs
      .on(ListTasksCommand, { desiredStatus: 'RUNNING', nextToken: undefined })
      .resolves({ taskArns: running.slice(0, 100), nextToken: 'page2' })
      .on(ListTasksCommand, { desiredStatus: 'RUNNING', nextToken: 'page2' })
      .resolves({ taskArns: running.slice(100) })
      .on(ListTasksCommand, { desiredStatus: 'STOPPED' })
      .resolves({ taskArns: [taskArn('old')] });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => {
        const id = arn.split('/').pop()!;
        if (id === 'old') return ecsTask({ id, lastStatus: 'STOPPED', workspaceId: 'ws_old' });
        const n = Number(id.slice(3));
        // Every third running task belongs to someone else in the cluster.
        return n % 3 === 0
          ? ecsTask({ id, lastStatus: 'RUNNING', ip: '10.0.9.9', managed: false })
          : ecsTask({ id, lastStatus: 'RUNNING', ip: `10.0.1.${n % 250}`, workspaceId: `ws_${n}` });
      }),
      failures: [],
    }));

    const all = await runtime().list();
    const batches = ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input);
    expect(batches.map((b) => b.tasks?.length)).toEqual([100, 50]);
    for (const b of batches) expect(b.include).toEqual(['TAGS']);
    expect(all).toHaveLength(100); // 150 running, 50 foreign; the stopped one is never asked for
    expect(all.every((s) => s.workspaceId !== null)).toBe(true);
    // A STOPPED task is gone: the sweep must not stop (and count) it again on every run.
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input.desiredStatus)).toEqual([
      'RUNNING',
      'RUNNING',
    ]);
    expect(all.find((s) => s.taskRef === taskArn('old'))).toBeUndefined();
    expect(all.find((s) => s.taskRef === taskArn('run1'))).toMatchObject({
      state: 'running',
      endpoint: { kind: 'http', host: '10.0.1.1', port: 9000 },
    });
  });
});

describe('EcsRuntime.ping', () => {
  it('describes the cluster and fails when it is not active', async () => {
    ecs
      .on(DescribeClustersCommand)
      .resolvesOnce({
        clusters: [{ clusterArn: CLUSTER, clusterName: 'berth-workspaces', status: 'ACTIVE' }],
      })
      .resolvesOnce({ clusters: [], failures: [{ arn: CLUSTER, reason: 'MISSING' }] });
    await expect(runtime().ping()).resolves.toBeUndefined();
    await expect(runtime().ping()).rejects.toThrow(/missing/);
  });
});

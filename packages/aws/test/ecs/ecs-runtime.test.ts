import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  ECSServiceException,
  StopTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { generateKeyPairSync } from 'node:crypto';
import type { ContainerSpec } from '@berth/core';
import { agentPublicKeyText, signAgentToken } from '@berth/protocol/agent-token';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsRuntime, EcsTasks } from '../../src/ecs/ecs-runtime.js';
import { parseEcsTaskStateChange } from '../../src/ecs/task-state-event.js';
import { CLUSTER, STOPPED_AT, TASK_DEF, ecsTask, taskArn } from './ecs-fixtures.js';
import { ecsEvent } from './ecs-task-state-events.js';

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

/**
 * What in a RunTask input looks secret: an environment variable named like one (in any container's
 * overrides), or anywhere a value shaped like an agent/proxy token, a PEM, a raw Ed25519 key or an AWS key.
 */
function secretsIn(input: RunTaskCommandInput): string[] {
  const found: string[] = [];
  for (const o of input.overrides?.containerOverrides ?? []) {
    for (const e of o.environment ?? []) {
      if (/TOKEN|SECRET|PASSWORD|CREDENTIAL|KEY/i.test(e.name ?? '')) found.push(`${o.name}: ${e.name}`);
    }
    if (o.environmentFiles?.length) found.push(`${o.name}: environment files`);
  }
  return [...found, ...secretShapesIn(JSON.stringify(input))];
}

/** Values anywhere in `text` shaped like an agent/proxy token, a PEM, a raw Ed25519 key or an AWS key. */
function secretShapesIn(text: string): string[] {
  const found: string[] = [];
  const shapes: [string, RegExp][] = [
    ['token', /bat1\./],
    ['PEM', /-----BEGIN|PRIVATE KEY/],
    ['AWS access key', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
    // 32 bytes in base64url (a raw Ed25519 key, public or private) or longer opaque strings.
    ['key material', /[A-Za-z0-9_-]{43,}/],
  ];
  for (const [what, shape] of shapes) if (shape.test(text)) found.push(what);
  return found;
}

describe('secretsIn (the check RunTask inputs must pass)', () => {
  const base: RunTaskCommandInput = {
    taskDefinition: TASK_DEF,
    overrides: {
      containerOverrides: [
        { name: 'workspace', environment: [{ name: 'AGENT_WORKSPACE_ID', value: spec.workspaceId }] },
        { name: 'proxy', environment: [{ name: 'PROXY_WORKSPACE_ID', value: spec.workspaceId }] },
      ],
    },
  };
  const withProxyEnv = (name: string, value: string): RunTaskCommandInput => ({
    ...base,
    overrides: {
      containerOverrides: [
        base.overrides!.containerOverrides![0]!,
        { name: 'proxy', environment: [{ name, value }] },
      ],
    },
  });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  it('passes ids and plain settings', () => {
    expect(secretsIn(base)).toEqual([]);
  });

  it('finds a token, a PEM, a raw key, an AWS key or a secret-named variable in any container', () => {
    const token = signAgentToken(privateKey, {
      audience: 'egress',
      workspaceId: spec.workspaceId,
      issuedAt: 1,
      expiresAt: 2,
    });
    expect(secretsIn(withProxyEnv('PROXY_UPSTREAM', token))).toContain('token');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(secretsIn(withProxyEnv('X', pem))).toContain('PEM');
    expect(secretsIn(withProxyEnv('X', agentPublicKeyText(publicKey)))).toContain('key material');
    expect(secretsIn(withProxyEnv('X', 'AKIAIOSFODNN7EXAMPLE'))).toContain('AWS access key');
    expect(secretsIn(withProxyEnv('PROXY_ADMIN_SECRET', 'short'))).toEqual(['proxy: PROXY_ADMIN_SECRET']);
    expect(secretsIn(withProxyEnv('PROXY_CREDENTIAL', 'x'))).toEqual(['proxy: PROXY_CREDENTIAL']);
  });
});

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
    expect(overrides?.map((o) => o.name)).toEqual(['workspace', 'proxy']);
    expect(overrides?.[0]?.environment).toEqual(
      expect.arrayContaining([
        { name: 'TZ', value: 'UTC' },
        { name: 'AGENT_LISTEN_MODE', value: 'http' },
        { name: 'AGENT_PORT', value: '9000' },
        { name: 'AGENT_WORKSPACE_ID', value: spec.workspaceId },
      ]),
    );
    // The sidecar learns whose workspace it serves; its credential comes later, through its admin API.
    expect(overrides?.[1]).toEqual({
      name: 'proxy',
      environment: [{ name: 'PROXY_WORKSPACE_ID', value: spec.workspaceId }],
    });
    // Nothing secret in RunTask (overrides show in DescribeTasks, task-state events and CloudTrail) for either
    // container: no token, no key, no credential; the agent checks signed tokens with the public key its task
    // definition gives it, the sidecar is handed its credential over its admin API.
    expect(secretsIn(input)).toEqual([]);
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

  it('what ECS shows of the task afterwards (DescribeTasks, the task-state event) holds no secret either', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [ecsTask({ id: 'bbb222', lastStatus: 'PROVISIONING', workspaceId: spec.workspaceId })],
    });
    await runtime().start(spec);
    const { overrides } = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    // ECS echoes RunTask's overrides in both (ECS API reference: Task.overrides; ecs_task_events).
    const described = {
      ...ecsTask({ id: 'bbb222', lastStatus: 'RUNNING', ip: '10.0.7.9', workspaceId: spec.workspaceId }),
      overrides,
    };
    ecs.on(DescribeTasksCommand).resolves({ tasks: [described], failures: [] });
    const seen = await runtime().describe(taskArn('bbb222'));
    const event = ecsEvent({
      taskArn: taskArn('bbb222'),
      lastStatus: 'STOPPED',
      startedBy: spec.workspaceId,
      stopCode: 'EssentialContainerExited',
      overrides,
    });
    for (const shown of [described, seen, event, parseEcsTaskStateChange(event)]) {
      expect(JSON.stringify(shown)).toContain(spec.workspaceId);
      expect(secretShapesIn(JSON.stringify(shown))).toEqual([]);
    }
  });

  it("uses a start's own token as RunTask client token (a resumed workspace's start is not its first)", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [ecsTask({ id: 'again', lastStatus: 'PROVISIONING' })] });
    await runtime().start({ ...spec, startToken: `${spec.workspaceId}-r7` });
    const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(input.clientToken).toBe(`${spec.workspaceId}-r7`);
    // Still the workspace's task: tags, startedBy and the agent's workspace id are the workspace's.
    expect(input.startedBy).toBe(spec.workspaceId);
    expect(input.overrides?.containerOverrides?.[0]?.environment).toContainEqual({
      name: 'AGENT_WORKSPACE_ID',
      value: spec.workspaceId,
    });
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

describe('EcsTasks (the functions that never start a task)', () => {
  const tasks = () => new EcsTasks({ cluster: CLUSTER, clientConfig: { region: 'us-east-1' } });

  it('refuses to start, without calling ECS', async () => {
    await expect(tasks().start(spec)).rejects.toThrow(/does not start tasks/);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('describes and stops tasks of its cluster like EcsRuntime', async () => {
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [ecsTask({ id: 't1', lastStatus: 'RUNNING', ip: '10.0.1.23', workspaceId: spec.workspaceId })],
    });
    ecs.on(StopTaskCommand).resolves({});
    expect(await tasks().describe(taskArn('t1'))).toEqual(await runtime().describe(taskArn('t1')));
    await tasks().stop(taskArn('t1'), 'release');
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toMatchObject({ cluster: CLUSTER });
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
  it('says it cannot freeze (a workspace paused on ECS hibernates instead)', () => {
    expect(runtime().freezes).toBe(false);
    expect(new EcsTasks({ cluster: CLUSTER, clientConfig: { region: 'us-east-1' } }).freezes).toBe(false);
  });

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

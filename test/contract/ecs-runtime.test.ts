import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DescribeTasksCommandInput,
  type ListTasksCommandInput,
  type RunTaskCommandInput,
  type StopTaskCommandInput,
  type Tag,
  type Task,
} from '@aws-sdk/client-ecs';
import { EcsRuntime } from '@berth/aws';
import { mockClient } from 'aws-sdk-client-mock';
import { describeContainerRuntimeContract } from './container-runtime.contract.js';

/**
 * No ECS emulator exists (ARCHITECTURE.md §6), so EcsRuntime meets the contract against a small in-memory
 * ECS behind aws-sdk-client-mock: RunTask accepts known task definition families only, tasks move
 * PROVISIONING → PENDING → RUNNING one DescribeTasks at a time and get an ENI IP when running, StopTask
 * stops them, ListTasks pages by desiredStatus. The "agent" is a local HTTP server answering GET /health:
 * the fake reports 127.0.0.1 as the ENI IP and the runtime's agentPort is that server's port.
 */
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-contract';
const FAMILY = 'berth-workspace';

interface FakeTask {
  task: Task;
  describes: number;
}

function fakeEcs(agentIp: string) {
  const tasks = new Map<string, FakeTask>();
  const arnOf = (ref: string) =>
    ref.startsWith('arn:') ? ref : `arn:aws:ecs:us-east-1:123456789012:task/berth-contract/${ref}`;

  const add = (family: string, startedBy: string | undefined, tags: Tag[]) => {
    const arn = arnOf(randomBytes(16).toString('hex'));
    const task: Task = {
      taskArn: arn,
      clusterArn: CLUSTER,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:1`,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      startedBy,
      tags,
      attachments: [
        {
          id: randomBytes(8).toString('hex'),
          type: 'ElasticNetworkInterface',
          status: 'PRECREATED',
          details: [{ name: 'subnetId', value: 'subnet-0a1b2c3d4e5f6a7b8' }],
        },
      ],
      containers: [{ name: 'workspace', lastStatus: 'PENDING', taskArn: arn }],
    };
    tasks.set(arn, { task, describes: 0 });
    return arn;
  };

  // ECS takes a few describes to get from accepted to running: the ENI (and its IP) comes with RUNNING.
  const advance = (t: FakeTask) => {
    t.describes += 1;
    const task = t.task;
    if (task.lastStatus === 'PROVISIONING' && t.describes >= 1) task.lastStatus = 'PENDING';
    else if (task.lastStatus === 'PENDING' && t.describes >= 2) {
      task.lastStatus = 'RUNNING';
      task.attachments![0]!.status = 'ATTACHED';
      task.attachments![0]!.details!.push(
        { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' },
        { name: 'privateIPv4Address', value: agentIp },
      );
      task.containers![0]!.lastStatus = 'RUNNING';
    }
  };

  const ecs = mockClient(ECSClient);
  ecs.on(DescribeClustersCommand).resolves({
    clusters: [{ clusterArn: CLUSTER, clusterName: 'berth-contract', status: 'ACTIVE' }],
    failures: [],
  });
  ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
    if (input.taskDefinition !== FAMILY) {
      throw new InvalidParameterException({ message: 'TaskDefinition not found.', $metadata: {} });
    }
    const arn = add(FAMILY, input.startedBy, input.tags ?? []);
    return { tasks: [tasks.get(arn)!.task], failures: [] };
  });
  ecs.on(DescribeTasksCommand).callsFake((input: DescribeTasksCommandInput) => {
    const found: Task[] = [];
    const failures = [];
    for (const ref of input.tasks ?? []) {
      const t = tasks.get(arnOf(ref));
      if (!t) {
        failures.push({ arn: arnOf(ref), reason: 'MISSING' });
        continue;
      }
      advance(t);
      const { tags, ...rest } = t.task;
      found.push(input.include?.includes('TAGS') ? { ...rest, tags } : rest);
    }
    return { tasks: found, failures };
  });
  ecs.on(StopTaskCommand).callsFake((input: StopTaskCommandInput) => {
    const t = tasks.get(arnOf(input.task ?? ''));
    if (!t)
      throw new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} });
    Object.assign(t.task, {
      desiredStatus: 'STOPPED',
      lastStatus: 'STOPPED',
      stoppedReason: input.reason ?? 'Task stopped by user',
      stopCode: 'UserInitiated',
    });
    t.task.containers![0]!.lastStatus = 'STOPPED';
    t.task.containers![0]!.exitCode = 143;
    return { task: t.task };
  });
  ecs.on(ListTasksCommand).callsFake((input: ListTasksCommandInput) => {
    const arns = [...tasks.values()]
      .filter((t) => (input.desiredStatus ?? 'RUNNING') === t.task.desiredStatus)
      .map((t) => t.task.taskArn!);
    // Small pages, so the runtime's paging is exercised too.
    const start = Number(input.nextToken ?? 0);
    const end = start + Math.min(input.maxResults ?? 100, 2);
    return { taskArns: arns.slice(start, end), nextToken: end < arns.length ? String(end) : undefined };
  });

  return { ecs, addForeign: () => add('someone-else', 'ecs-svc/123', [{ key: 'team', value: 'other' }]) };
}

async function healthServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const ok = req.method === 'GET' && req.url === '/health';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { ok: true, runningCommands: 0 } : { error: 'not_found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describeContainerRuntimeContract('EcsRuntime (in-memory ECS via aws-sdk-client-mock)', async () => {
  const server = await healthServer();
  const fake = fakeEcs('127.0.0.1');
  const runtime = new EcsRuntime({
    cluster: CLUSTER,
    subnets: ['subnet-0a1b2c3d4e5f6a7b8'],
    securityGroups: ['sg-0123456789abcdef0'],
    agentPort: (server.address() as AddressInfo).port,
    clientConfig: { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } },
  });
  return {
    runtime,
    image: FAMILY,
    supportsPause: false,
    createForeignTask: async () => fake.addForeign(),
    cleanup: async () => {
      fake.ecs.restore();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});

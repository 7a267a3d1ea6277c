import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  type Task,
} from '@aws-sdk/client-ecs';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import { startAgent, type RunningAgent } from '@berth/workspace-agent';
import { mockClient } from 'aws-sdk-client-mock';
import { ecsTask, taskArn } from '../../../aws/test/ecs/ecs-fixtures.js';
import { TEST_AGENT_KEYS } from '../../../core/test/support/make-deps.js';

interface SimTask {
  id: string;
  workspaceId: string;
  ip: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';
  stoppedReason?: string;
  agent: RunningAgent | null;
  dir: string;
}

/**
 * ECS as the workspace tasks meet it, behind aws-sdk-client-mock (ECS has no local stand-in): RunTask, then
 * DescribeTasks answering PROVISIONING → PENDING → RUNNING with the ENI's private IP, StopTask, with the
 * answers' real shapes (ecs-fixtures.ts). Each task runs a real workspace agent, in HTTP mode as on ECS, on a
 * loopback address of its own (127.0.0.2, .3, …) and the one agent port, with an empty workspace directory: a
 * new task starts with no files. RunTask keeps its client tokens: a token used before answers its first task
 * again, as ECS does for 24 hours (ECS API reference, "Ensuring idempotency").
 */
export class SimulatedEcsCluster {
  readonly ecs = mockClient(ECSClient);
  readonly tasks = new Map<string, SimTask>();
  private readonly answered = new Map<string, RunTaskCommandOutput>();
  private root = '';
  /** What happened, in order: `RunTask <token>`, `StopTask <task id> <reason>`. */
  readonly log: string[] = [];
  /** Called when StopTask arrives, before the task stops (to see what was saved before it). */
  beforeStop: (task: SimTask) => Promise<void> = async () => {};

  private constructor(readonly agentPort: number) {}

  static async start(): Promise<SimulatedEcsCluster> {
    const cluster = new SimulatedEcsCluster(await freePort('127.0.0.2'));
    cluster.root = await mkdtemp(join(tmpdir(), 'berth-ecs-'));
    cluster.ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => cluster.runTask(input));
    cluster.ecs
      .on(DescribeTasksCommand)
      .callsFake((input: { tasks: string[] }) => cluster.describeTasks(input.tasks));
    cluster.ecs
      .on(StopTaskCommand)
      .callsFake((input: { task: string; reason?: string }) => cluster.stopTask(input.task, input.reason));
    return cluster;
  }

  async close(): Promise<void> {
    for (const t of this.tasks.values()) await t.agent?.close();
    this.ecs.restore();
    await rm(this.root, { recursive: true, force: true });
  }

  /** The task with this ARN. */
  task(arn: string): SimTask {
    const t = this.tasks.get(arn.split('/').pop()!);
    if (!t) throw new Error(`no task ${arn}`);
    return t;
  }

  private async runTask(input: RunTaskCommandInput): Promise<RunTaskCommandOutput> {
    const token = input.clientToken!;
    this.log.push(`RunTask ${token}`);
    const earlier = this.answered.get(token);
    if (earlier) return earlier;
    const env = Object.fromEntries(
      (input.overrides?.containerOverrides?.find((c) => c.name === 'workspace')?.environment ?? []).map(
        (e) => [e.name!, e.value!],
      ),
    );
    const n = this.tasks.size;
    const id = `${(n + 1).toString(16).padStart(8, '0')}a1b2c3d4e5f60718293a4b5c`;
    const dir = join(this.root, id);
    await mkdir(join(dir, 'ws'), { recursive: true });
    const task: SimTask = {
      id,
      workspaceId: env[WORKSPACE_AGENT_ENV.workspaceId]!,
      ip: `127.0.0.${n + 2}`,
      lastStatus: 'PROVISIONING',
      agent: null,
      dir,
    };
    // The agent takes tokens for the workspace id its task was started with, and for no other.
    task.agent = await startAgent({
      listenMode: 'http',
      socketPath: '',
      host: task.ip,
      port: Number(env[WORKSPACE_AGENT_ENV.port]),
      workspaceId: task.workspaceId,
      tokenPublicKey: TEST_AGENT_KEYS.publicKey,
      workspaceDir: join(dir, 'ws'),
      childHome: join(dir, 'home'),
      proxyPort: 0,
      maxOutputBytes: 1 << 20,
      anthropicApiKey: 'placeholder',
      log: () => {},
    });
    this.tasks.set(id, task);
    const answer = { tasks: [this.shape(task)], failures: [], $metadata: {} };
    this.answered.set(token, answer);
    return answer;
  }

  private describeTasks(arns: string[]) {
    const tasks: Task[] = [];
    const failures = [];
    for (const arn of arns) {
      const t = this.tasks.get(arn.split('/').pop()!);
      if (!t) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      // Each look moves a starting task on one step, as a Fargate task goes: PROVISIONING → PENDING → RUNNING.
      if (t.lastStatus === 'PROVISIONING') t.lastStatus = 'PENDING';
      else if (t.lastStatus === 'PENDING') t.lastStatus = 'RUNNING';
      tasks.push(this.shape(t));
    }
    return { tasks, failures };
  }

  private async stopTask(arn: string, reason: string | undefined) {
    const t = this.tasks.get(arn.split('/').pop()!);
    if (!t)
      throw Object.assign(new Error('The referenced task was not found.'), {
        name: 'InvalidParameterException',
      });
    this.log.push(`StopTask ${t.id} ${reason}`);
    if (t.lastStatus !== 'STOPPED') {
      await this.beforeStop(t);
      await t.agent?.close();
      t.agent = null;
      t.lastStatus = 'STOPPED';
      t.stoppedReason = reason;
    }
    return { task: this.shape(t) };
  }

  private shape(t: SimTask): Task {
    const task = ecsTask({
      id: t.id,
      lastStatus: t.lastStatus,
      workspaceId: t.workspaceId,
      ...(t.lastStatus === 'RUNNING' ? { ip: t.ip } : {}),
    });
    // A StopTask's stop: UserInitiated, with the reason it was given (the fixture's is a container exit).
    return t.lastStatus === 'STOPPED'
      ? { ...task, stopCode: 'UserInitiated', stoppedReason: t.stoppedReason }
      : task;
  }
}

export { taskArn };

/** A port free on `host` now (each simulated task's agent listens on it, on its own address). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

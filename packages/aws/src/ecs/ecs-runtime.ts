import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type CapacityProviderStrategyItem,
  type ECSClientConfig,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  ApiError,
  missingTask,
  type ContainerRuntime,
  type ContainerSpec,
  type TaskStatus,
} from '@berth/core';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import { withSdkTimeouts } from '../client-timeouts.js';
import { failuresError, runTaskException, throttledError } from './run-task-errors.js';
import { PROXY_CONTAINER, TAG, WORKSPACE_CONTAINER, isBerthManaged, toTaskStatus } from './task-mapping.js';
import { taskSizeOverrides } from './task-size.js';

/** What every function that reaches ECS tasks needs to know. */
export interface EcsTasksOptions {
  cluster: string;
  /** TCP port the agent listens on in the task (AGENT_PORT). Default 9000. */
  agentPort?: number;
  /** Name of the agent's container in the task definition. Default `workspace`. */
  containerName?: string;
  client?: ECSClient;
  clientConfig?: ECSClientConfig;
}

/** What starting tasks needs besides. */
export interface EcsRuntimeOptions extends EcsTasksOptions {
  /** Isolated subnets: no route to the internet but through the egress proxy (ARCHITECTURE.md §4). */
  subnets: string[];
  securityGroups: string[];
  /** Task definition family, family:revision or ARN for a template; default: the spec's `image`. */
  taskDefinitionFor?: (template: string, spec: ContainerSpec) => string;
  /** Where tasks are placed; without it, launch type FARGATE. */
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Memory the task definition reserves for the proxy sidecar (MiB), added to a template's. Default 256. */
  sidecarMemoryMiB?: number;
  /** Name of the proxy sidecar's container in the task definition. Default `proxy`. */
  proxyContainerName?: string;
}

/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_BATCH = 100;
/** StopTask's `reason` is at most 255 characters. */
const MAX_STOP_REASON = 255;

/**
 * {@link ContainerRuntime} on ECS for the functions that never start a task (the API, the sweep, the other
 * provisioning steps): describe, stop, list. Starting is {@link EcsRuntime}'s, which their bundles then leave
 * out (RunTask, the task size, the RunTask error mapping).
 */
export class EcsTasks implements ContainerRuntime {
  readonly kind = 'ecs' as const;
  /** No docker pause on Fargate or through the ECS API: a workspace paused on ECS hibernates instead. */
  readonly freezes = false;
  protected readonly ecs: ECSClient;
  protected readonly agentPort: number;
  protected readonly containerName: string;

  constructor(private readonly opts: EcsTasksOptions) {
    this.ecs = opts.client ?? new ECSClient(withSdkTimeouts(opts.clientConfig ?? {}, 'ecs'));
    this.agentPort = opts.agentPort ?? 9000;
    this.containerName = opts.containerName ?? WORKSPACE_CONTAINER;
  }

  /** Refused: only the StartContainer step starts tasks (an {@link EcsRuntime}; its role alone may RunTask). */
  start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    return Promise.reject(new Error(`this function does not start tasks (workspace ${spec.workspaceId})`));
  }

  async describe(taskRef: string): Promise<TaskStatus> {
    let tasks: Task[];
    try {
      tasks = await this.describeBatch([taskRef]);
    } catch (err) {
      // A ref that is not a task id or ARN at all is unknown, not an outage (the port never throws for it).
      if ((err as Error).name === 'InvalidParameterException') return missingTask(taskRef);
      // Named for the state machine, whose check steps retry `Throttled` with backoff and jitter.
      throw throttledError(err, 'DescribeTasks') ?? err;
    }
    const task = tasks[0];
    // Unknown refs come back as failures[] with reason MISSING and no task.
    return task ? toTaskStatus(task, this.mapping()) : missingTask(taskRef);
  }

  async stop(taskRef: string, reason: string): Promise<void> {
    try {
      await this.ecs.send(
        new StopTaskCommand({
          cluster: this.opts.cluster,
          task: taskRef,
          reason: reason.slice(0, MAX_STOP_REASON),
        }),
      );
    } catch (err) {
      // ECS answers an unknown (or long gone) task with InvalidParameterException: already stopped is done.
      if ((err as Error).name === 'InvalidParameterException') return;
      throw err;
    }
  }

  pause(taskRef: string): Promise<void> {
    return Promise.reject(unsupported('pause', taskRef));
  }

  resume(taskRef: string): Promise<void> {
    return Promise.reject(unsupported('resume', taskRef));
  }

  async list(): Promise<TaskStatus[]> {
    // ListTasks filters by one `startedBy` only and not by tag, so list every task and keep those tagged as
    // Berth's. Only those ECS still means to run (desired RUNNING, PENDING ones included): a STOPPED task is
    // gone for good, and listing it would have the sweep stop and count it again on every run.
    const arns = await this.listArns('RUNNING');
    const out: TaskStatus[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      for (const task of await this.describeBatch(arns.slice(i, i + DESCRIBE_BATCH))) {
        if (isBerthManaged(task)) out.push(toTaskStatus(task, this.mapping()));
      }
    }
    return out;
  }

  async ping(): Promise<void> {
    const answer = await this.ecs.send(new DescribeClustersCommand({ clusters: [this.opts.cluster] }));
    const cluster = answer.clusters?.[0];
    if (!cluster || cluster.status !== 'ACTIVE') {
      throw new Error(`ECS cluster ${this.opts.cluster} is ${cluster?.status ?? 'missing'}`);
    }
  }

  private mapping() {
    return { containerName: this.containerName, agentPort: this.agentPort };
  }

  private async describeBatch(tasks: string[]): Promise<Task[]> {
    if (tasks.length === 0) return [];
    const answer = await this.ecs.send(
      new DescribeTasksCommand({ cluster: this.opts.cluster, tasks, include: ['TAGS'] }),
    );
    return answer.tasks ?? [];
  }

  private async listArns(desiredStatus: 'RUNNING'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ecs.send(
        new ListTasksCommand({ cluster: this.opts.cluster, desiredStatus, nextToken, maxResults: 100 }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }
}

/**
 * {@link ContainerRuntime} on ECS: one RunTask per workspace, awsvpc in isolated subnets, no public IP.
 *
 * Security notes (ARCHITECTURE.md §4):
 * - The task definition carries no task role and the cluster blocks IMDS (`ECS_AWSVPC_BLOCK_IMDS`), so the
 *   workspace holds no AWS credentials at all; the proxy sidecar's credentials never enter the agent's
 *   container. Nothing here sets a task role override, and ECS Exec stays off.
 * - Nothing secret goes into RunTask: overrides are part of the task description (DescribeTasks, task-state
 *   events, CloudTrail). The agent gets its workspace id here (AGENT_WORKSPACE_ID) and the control plane's
 *   public key from the task definition; every call carries a short-lived token signed for this workspace
 *   (protocol agent-token.ts), which no other workspace's agent accepts. The proxy sidecar gets the workspace
 *   id too (PROXY_WORKSPACE_ID); its credential comes later, through its admin API (GatewayEgress.admit).
 * - Hardening (pids, read-only root, dropped capabilities) lives in the task definition. The template's CPU
 *   and memory go to RunTask as task-level overrides (`overrides.cpu`/`memory`; on Fargate they must be a
 *   valid size pair). TODO(disk quota): `limits.diskMiB` is to
 *   become the task's ephemeral storage (RunTask `overrides.ephemeralStorage.sizeInGiB`, 21..200 GiB, or the
 *   task definition's); it is not applied on ECS yet.
 */
export class EcsRuntime extends EcsTasks {
  constructor(private readonly run: EcsRuntimeOptions) {
    super(run);
  }

  override async start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    const taskDefinition = this.run.taskDefinitionFor?.(spec.template, spec) ?? spec.image;
    const environment = Object.entries({
      ...spec.env,
      [WORKSPACE_AGENT_ENV.listenMode]: 'http',
      [WORKSPACE_AGENT_ENV.port]: String(this.agentPort),
      [WORKSPACE_AGENT_ENV.workspaceId]: spec.workspaceId,
    }).map(([name, value]) => ({ name, value }));
    const size = taskSizeOverrides(spec, {
      sidecarMemoryMiB: this.run.sidecarMemoryMiB ?? 256,
      fargate: !this.run.capacityProviderStrategy?.length,
    });
    let answer;
    try {
      answer = await this.ecs.send(
        new RunTaskCommand({
          cluster: this.run.cluster,
          taskDefinition,
          count: 1,
          // Idempotent: a StartContainer retried after RunTask succeeded but before the task was recorded gets
          // the same task back, never a second one. A resumed workspace's start brings a token of its own: ECS
          // would answer its first token with the first task, stopped when the workspace hibernated.
          clientToken: spec.startToken ?? spec.workspaceId,
          // EventBridge's Task State Change events carry `startedBy` but no tags: the workspace id goes in both.
          startedBy: spec.workspaceId,
          ...(this.run.capacityProviderStrategy?.length
            ? { capacityProviderStrategy: this.run.capacityProviderStrategy }
            : { launchType: 'FARGATE' }),
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: this.run.subnets,
              securityGroups: this.run.securityGroups,
              assignPublicIp: 'DISABLED',
            },
          },
          overrides: {
            ...size.task,
            containerOverrides: [
              { name: this.containerName, environment, memory: size.workspaceMemoryMiB },
              {
                name: this.run.proxyContainerName ?? PROXY_CONTAINER,
                environment: [{ name: 'PROXY_WORKSPACE_ID', value: spec.workspaceId }],
              },
            ],
          },
          tags: [
            { key: TAG.managed, value: 'true' },
            { key: TAG.workspaceId, value: spec.workspaceId },
            { key: TAG.tenantId, value: spec.tenantId },
            { key: TAG.template, value: spec.template },
          ],
          enableExecuteCommand: false,
        }),
      );
    } catch (err) {
      throw runTaskException(err, taskDefinition);
    }
    const taskArn = answer.tasks?.[0]?.taskArn;
    if (!taskArn) throw failuresError(answer.failures ?? [], taskDefinition);
    return { taskRef: taskArn };
  }
}

/**
 * ECS cannot freeze a task (no docker pause on Fargate or through the ECS API): 422, not a silent no-op. The
 * services never ask (`freezes` is false: pausing a workspace hibernates it); this guards any other caller.
 */
const unsupported = (op: 'pause' | 'resume', taskRef: string) =>
  new ApiError(
    'unprocessable',
    `${op} is not supported on the ECS runtime: ECS cannot freeze a task (${taskRef})`,
  );

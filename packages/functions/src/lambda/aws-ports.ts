import {
  DynamoStartBacklog,
  DynamoStartGate,
  DynamoWorkspaceStore,
  EcsRuntime,
  EcsTasks,
  DEFAULT_PROPAGATION_MS,
  GatewayEgress,
  LambdaPoolRefiller,
  S3BlobStore,
  SqsStopper,
  StepFunctionsProvisioner,
  agentSigningKeyFromSecret,
  egressRulesWriter,
  isAwsUnavailable,
} from '@berth/aws';
import {
  HttpWorkspaceAgentClient,
  SignedAgentTokens,
  blobsWithDeadlines,
  runtimeWithDeadlines,
  stopperWithDeadlines,
  storeWithDeadlines,
  systemClock,
  withDeadlines,
  type BerthConfig,
  type ServiceMetrics,
} from '@berth/core';
import type { AppDeps } from '../app-deps.js';
import { envList, envPositive, envValue, missingOf, type Env } from './aws-env.js';

/**
 * How one port is made on AWS: the variables it needs and its construction. Each is its own export so a
 * Lambda entry bundles (and loads the SDK client of) only the ports it names (see lambda-deps.ts).
 */
export interface PortWiring<K extends keyof AppDeps> {
  missing(env: Env): string[];
  /** `metrics`: the handler's (a port that counts something itself). */
  build(env: Env, config: BerthConfig, metrics: ServiceMetrics): AppDeps[K] | Promise<AppDeps[K]>;
}

// Built inside `build`, never at import: a port no entry names must leave nothing behind in its bundle.
// Every store, blob and runtime call has a deadline: a stalled dependency is a quick 503 with Retry-After.
// Its message names the dependency, and the handler logs it (the handler's logger is not known here).
const sdk = { unavailableWhen: isAwsUnavailable };

export const dynamoStore: PortWiring<'store'> = {
  missing: (env) => missingOf(env, 'TABLE_NAME'),
  build: (env, config) =>
    storeWithDeadlines(new DynamoWorkspaceStore({ tableName: envValue(env, 'TABLE_NAME') }), config, sdk),
};

export const s3Blobs: PortWiring<'blobs'> = {
  missing: (env) => missingOf(env, 'FILES_BUCKET'),
  build: (env, config) =>
    blobsWithDeadlines(new S3BlobStore({ bucket: envValue(env, 'FILES_BUCKET') }), config, sdk),
};

/** The stacks give every function that reaches ECS these (stacks/lambda-function.ts). */
const ecsMissing = (env: Env) =>
  missingOf(
    env,
    'CLUSTER_ARN',
    'SUBNET_IDS',
    'SECURITY_GROUP_IDS',
    'TASK_DEFINITION_ARN',
    'WORKSPACE_CAPACITY',
  );

export const ecsRuntime: PortWiring<'runtime'> = {
  missing: ecsMissing,
  build: (env, config) =>
    runtimeWithDeadlines(
      new EcsRuntime({
        cluster: envValue(env, 'CLUSTER_ARN'),
        subnets: envList(env, 'SUBNET_IDS'),
        securityGroups: envList(env, 'SECURITY_GROUP_IDS'),
        // One workspace task definition for every template for now; templates differ in the task's limits later.
        taskDefinitionFor: () => envValue(env, 'TASK_DEFINITION_ARN'),
        capacityProviderStrategy: capacityStrategy(envList(env, 'WORKSPACE_CAPACITY')),
      }),
      config,
      sdk,
    ),
};

/**
 * ECS for the functions that never start a task: without RunTask's code in their bundles. It checks the same
 * variables as `ecsRuntime` (the stacks set them together) but reads only the cluster.
 */
export const ecsTasks: PortWiring<'runtime'> = {
  missing: ecsMissing,
  build: (env, config) =>
    runtimeWithDeadlines(new EcsTasks({ cluster: envValue(env, 'CLUSTER_ARN') }), config, sdk),
};

/** `FARGATE` → launch type Fargate (no strategy); provider names → an even strategy over them. */
const capacityStrategy = (names: string[]) =>
  names.length === 1 && names[0] === 'FARGATE'
    ? undefined
    : names.map((capacityProvider) => ({ capacityProvider, weight: 1 }));

export const sfnProvisioner: PortWiring<'provisioner'> = {
  missing: (env) => missingOf(env, 'STATE_MACHINE_ARN'),
  build: (env) => new StepFunctionsProvisioner({ stateMachineArn: envValue(env, 'STATE_MACHINE_ARN') }),
};

/** Stops go to the stop worker's queue (the API and the sweep hand them over; workspace-stop finishes them). */
export const sqsStopper: PortWiring<'stopper'> = {
  missing: (env) => missingOf(env, 'STOP_QUEUE_URL'),
  build: (env, config) =>
    stopperWithDeadlines(new SqsStopper({ queueUrl: envValue(env, 'STOP_QUEUE_URL') }), config, sdk),
};

/** Tokens for the agents this function calls, signed with the key in Secrets Manager (read on the cold start). */
export const signedAgentTokens: PortWiring<'agentTokens'> = {
  missing: (env) => missingOf(env, 'AGENT_SIGNING_KEY_SECRET'),
  build: async (env) =>
    new SignedAgentTokens(
      await agentSigningKeyFromSecret({ secretId: envValue(env, 'AGENT_SIGNING_KEY_SECRET') }),
      { clock: systemClock },
    ),
};

/**
 * Deployed egress: the workspace's rules go to its item, which the egress gateway reads; the task's sidecar
 * gets the proxy credential signed with the agent-token key (read once per cold start, shared with
 * `signedAgentTokens`). A rules write that stalls is a 503 like the store's; `apply` also waits for the
 * gateway's cache, and `admit` has the sidecar call's own 5 s timeout.
 */
export const gatewayEgress: PortWiring<'egress'> = {
  missing: (env) => missingOf(env, 'TABLE_NAME', 'AGENT_SIGNING_KEY_SECRET'),
  build: async (env, config) => {
    const egress = new GatewayEgress({
      rules: egressRulesWriter({ tableName: envValue(env, 'TABLE_NAME') }),
      signingKey: await agentSigningKeyFromSecret({ secretId: envValue(env, 'AGENT_SIGNING_KEY_SECRET') }),
    });
    return withDeadlines(egress, {
      dependency: 'egress rules',
      timeoutMs: config.deadlines.storeMs + DEFAULT_PROPAGATION_MS,
      methods: { admit: 6_000 },
      ...sdk,
    });
  },
};

/** On ECS the agent listens on TCP :9000 of the task's ENI (EcsRuntime reports http endpoints). */
export const httpWorkspaceAgent: PortWiring<'workspaceAgent'> = {
  missing: () => [],
  build: () => new HttpWorkspaceAgentClient(),
};

/** How long a start may sleep in the StartContainer step for its RunTask slot (its Lambda has 13 s). */
const START_STEP_WAIT_MS = 5_000;

const startGateMissing = (env: Env) =>
  missingOf(env, 'TABLE_NAME', 'BERTH_RUNTASK_RATE', 'BERTH_RUNTASK_BURST');
const bucketOptions = (env: Env) => ({
  tableName: envValue(env, 'TABLE_NAME'),
  ratePerSecond: envPositive(env, 'BERTH_RUNTASK_RATE'),
  burst: envPositive(env, 'BERTH_RUNTASK_BURST'),
});

/**
 * The RunTask token bucket every function shares (an item of the table), where the StartContainer step takes
 * its turn. A turn too far off is `Throttled`, which passes the deadline below as it is (it is no outage), so
 * the state machine retries it.
 */
export const dynamoStartGate: PortWiring<'startGate'> = {
  missing: startGateMissing,
  build: (env, config, metrics) =>
    withDeadlines(
      new DynamoStartGate({ ...bucketOptions(env), maxStepWaitMs: START_STEP_WAIT_MS, metrics }),
      {
        dependency: 'start gate',
        timeoutMs: config.deadlines.storeMs,
        // The wait for the slot, and the bucket's few calls around it.
        methods: { enter: START_STEP_WAIT_MS + 2 * config.deadlines.storeMs },
        ...sdk,
      },
    ),
};

/**
 * The same bucket for the API's admission: how booked it is (503 capacity past `admission.maxStartWaitMs`),
 * without the booking code, as `ecsTasks` is ECS without RunTask.
 */
export const dynamoStartBacklog: PortWiring<'startGate'> = {
  missing: startGateMissing,
  build: (env, config) =>
    withDeadlines(new DynamoStartBacklog(bucketOptions(env)), {
      dependency: 'start gate',
      timeoutMs: config.deadlines.storeMs,
      ...sdk,
    }),
};

/** After a claim or a miss the API asks for a refill: an asynchronous invoke of the refill function. */
export const lambdaPoolRefiller: PortWiring<'poolRefiller'> = {
  missing: (env) => missingOf(env, 'BERTH_POOL_REFILL_FUNCTION'),
  build: (env) => new LambdaPoolRefiller({ functionName: envValue(env, 'BERTH_POOL_REFILL_FUNCTION') }),
};

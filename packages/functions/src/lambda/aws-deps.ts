import {
  DynamoWorkspaceStore,
  EcsRuntime,
  S3BlobStore,
  StepFunctionsProvisioner,
  isAwsUnavailable,
} from '@berth/aws';
import {
  HttpAgentClient,
  blobsWithDeadlines,
  loadConfig,
  runtimeWithDeadlines,
  storeWithDeadlines,
  noMetrics,
  silentLogger,
  systemClock,
  type BerthConfigInput,
} from '@berth/core';
import type { AppDeps, DepsProvider } from '../app-deps.js';
import { StaticTenantResolver } from '../auth/tenant-resolver.js';

/**
 * The deployed wiring: the environment variables the stacks set on every function, what each is for.
 * Lives in functions (not aws) because AppDeps is the functions layer's type: functions → aws → core.
 */
const REQUIRED = {
  TABLE_NAME: 'DynamoDB table of workspaces',
  FILES_BUCKET: 'S3 bucket of workspace file snapshots',
  CLUSTER_ARN: 'ECS cluster that runs workspace tasks',
  SUBNET_IDS: 'comma-separated isolated subnets for workspace tasks',
  SECURITY_GROUP_IDS: 'comma-separated security groups for workspace tasks',
  TASK_DEFINITION_ARN: 'workspace task definition',
  STATE_MACHINE_ARN: 'provisioning state machine',
} as const;

type Env = Record<string, string | undefined>;

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Reads every required variable; one error naming all that are missing, so a broken deploy is fixed in one go. */
export function readAwsEnv(env: Env): Record<keyof typeof REQUIRED, string> {
  const missing = Object.keys(REQUIRED).filter((k) => !env[k]?.trim()) as (keyof typeof REQUIRED)[];
  if (missing.length > 0) {
    throw new Error(
      `missing environment variable${missing.length > 1 ? 's' : ''}: ${missing
        .map((k) => `${k} (${REQUIRED[k]})`)
        .join(', ')}`,
    );
  }
  if (!env.API_KEYS_PARAMETER && !env.BERTH_API_KEYS) {
    throw new Error(
      'missing environment variable: API_KEYS_PARAMETER (SSM SecureString of tenant:key pairs) or BERTH_API_KEYS (tenant:key pairs)',
    );
  }
  return Object.fromEntries(Object.keys(REQUIRED).map((k) => [k, env[k]!.trim()])) as Record<
    keyof typeof REQUIRED,
    string
  >;
}

/** API keys from SSM (the deployed way: no secret in the function's configuration) or from the env. */
async function apiKeys(env: Env): Promise<string> {
  if (!env.API_KEYS_PARAMETER) return env.BERTH_API_KEYS ?? '';
  // Loaded only when used; the Lambda runtime ships the SDK v3 clients.
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const answer = await new SSMClient({}).send(
    new GetParameterCommand({ Name: env.API_KEYS_PARAMETER, WithDecryption: true }),
  );
  const value = answer.Parameter?.Value;
  if (!value) throw new Error(`SSM parameter ${env.API_KEYS_PARAMETER} (API_KEYS_PARAMETER) is empty`);
  return value;
}

/** Every port on AWS, from the environment. `BERTH_CONFIG` (JSON, optional) overrides config defaults. */
export async function awsDepsFromEnv(env: Env = process.env): Promise<AppDeps> {
  const e = readAwsEnv(env);
  let config: BerthConfigInput = {};
  if (env.BERTH_CONFIG) {
    try {
      config = JSON.parse(env.BERTH_CONFIG) as BerthConfigInput;
    } catch (err) {
      throw new Error(`BERTH_CONFIG is not valid JSON: ${(err as Error).message}`);
    }
  }
  const berthConfig = loadConfig(config);
  const sdk = { unavailableWhen: isAwsUnavailable };
  // Every store, blob and runtime call has a deadline: a stalled dependency is a quick 503 with Retry-After.
  // Its message names the dependency, and the handler logs it (the handler's logger is not known here).
  return {
    store: storeWithDeadlines(new DynamoWorkspaceStore({ tableName: e.TABLE_NAME }), berthConfig, sdk),
    blobs: blobsWithDeadlines(new S3BlobStore({ bucket: e.FILES_BUCKET }), berthConfig, sdk),
    runtime: runtimeWithDeadlines(
      new EcsRuntime({
        cluster: e.CLUSTER_ARN,
        subnets: list(e.SUBNET_IDS),
        securityGroups: list(e.SECURITY_GROUP_IDS),
        // One workspace task definition for every template for now; templates differ in the task's limits later.
        taskDefinitionFor: () => e.TASK_DEFINITION_ARN,
      }),
      berthConfig,
      sdk,
    ),
    provisioner: new StepFunctionsProvisioner({ stateMachineArn: e.STATE_MACHINE_ARN }),
    // On ECS the agent listens on TCP :9000 of the task's ENI (EcsRuntime reports http endpoints).
    agent: new HttpAgentClient(),
    tenants: StaticTenantResolver.parse(await apiKeys(env)),
    clock: systemClock,
    config: berthConfig,
    // Replaced per handler by its Powertools logger and metrics (handlers/lazy.ts).
    log: silentLogger,
    metrics: noMetrics,
  };
}

/** What every entry point hands its factory; built on first use, once per cold start. */
export const awsDeps: DepsProvider = () => awsDepsFromEnv(process.env);

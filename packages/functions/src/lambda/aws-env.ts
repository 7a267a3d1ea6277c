import { loadBerthConfig, type BerthConfig, type BerthConfigInput } from '@berth/core';

/** The environment variables the stacks set on the functions, and what each is for. */
export const AWS_ENV = {
  TABLE_NAME: 'DynamoDB table of workspaces',
  FILES_BUCKET: 'S3 bucket of workspace file snapshots',
  CLUSTER_ARN: 'ECS cluster that runs workspace tasks',
  SUBNET_IDS: 'comma-separated isolated subnets for workspace tasks',
  SECURITY_GROUP_IDS: 'comma-separated security groups for workspace tasks',
  TASK_DEFINITION_ARN: 'workspace task definition',
  WORKSPACE_CAPACITY: 'FARGATE, or comma-separated EC2 capacity providers that run workspace tasks',
  STATE_MACHINE_ARN: 'provisioning state machine',
  STOP_QUEUE_URL: 'SQS queue of stops the stop worker finishes',
  AGENT_SIGNING_KEY_SECRET: 'Secrets Manager secret of the Ed25519 key that signs agent tokens',
  BERTH_RUNTASK_RATE:
    'workspace task starts per second over every function (the shared RunTask token bucket)',
  BERTH_RUNTASK_BURST: 'workspace task starts the RunTask token bucket lets through at once',
  BERTH_POOL_REFILL_FUNCTION: 'warm pool refill function, invoked asynchronously after claims and misses',
} as const;

export type AwsEnvName = keyof typeof AWS_ENV;
export type Env = Record<string, string | undefined>;

/** The named variables that are unset or blank, each with what it is for. */
export const missingOf = (env: Env, ...names: AwsEnvName[]): string[] =>
  names.filter((k) => !env[k]?.trim()).map((k) => `${k} (${AWS_ENV[k]})`);

/** One error naming every missing variable, so a broken deploy is fixed in one go. */
export function assertNoneMissing(missing: string[]): void {
  if (missing.length === 0) return;
  throw new Error(`missing environment variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
}

/** A variable the caller checked is set, trimmed. */
export const envValue = (env: Env, name: AwsEnvName): string => env[name]!.trim();

export const envList = (env: Env, name: AwsEnvName): string[] =>
  envValue(env, name)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** A variable the caller checked is set, as a number above 0 (an error names it otherwise). */
export function envPositive(env: Env, name: AwsEnvName): number {
  const n = Number(envValue(env, name));
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new Error(`${name} (${AWS_ENV[name]}) must be a number above 0, got ${JSON.stringify(env[name])}`);
  }
  return n;
}

/** Config defaults, overridden by `BERTH_CONFIG` (JSON, optional). */
export function berthConfigFrom(env: Env): BerthConfig {
  let config: BerthConfigInput = {};
  if (env.BERTH_CONFIG) {
    try {
      config = JSON.parse(env.BERTH_CONFIG) as BerthConfigInput;
    } catch (err) {
      throw new Error(`BERTH_CONFIG is not valid JSON: ${(err as Error).message}`);
    }
  }
  return loadBerthConfig(config);
}

import { describe, expect, it } from 'vitest';
import { depsFromEnv, type Wiring } from '../../src/lambda/lambda-deps.js';

/** What each function reaches (issue 8: no SSM where nothing authenticates, no S3 where nothing touches files). */
const PORTS: Record<string, string[]> = {
  // The tenant comes from API Gateway's authorizer: no key list (no SSM) in the API functions (api-stream
  // wires the same: stacks/test/lambda-function.test.ts checks each entry's table).
  // PUT /egress writes the rules the egress gateway reads; keepalive renews the proxy credential.
  // Admission reads the RunTask bucket's backlog; a claim or a miss asks for a pool refill.
  api: [
    'agentTokens',
    'blobs',
    'egress',
    'poolRefiller',
    'provisioner',
    'runtime',
    'startGate',
    'stopper',
    'store',
    'workspaceAgent',
  ],
  'api-authorizer': ['tenants'],
  'api-openapi': [],
  // Expiry goes to the stop worker: the sweep reaches neither the bucket nor the agents.
  sweep: ['runtime', 'stopper', 'store'],
  'workspace-stop': ['agentTokens', 'blobs', 'runtime', 'store', 'workspaceAgent'],
  'provision-await-predecessor': ['store'],
  'task-state': ['runtime', 'store'],
  // It takes its turn of the RunTask bucket before RunTask.
  'provision-start-container': ['runtime', 'startGate', 'store'],
  // New members are provisioning executions; drained ones are stopped here (no files to save).
  'pool-refill': ['provisioner', 'runtime', 'store'],
  'provision-wait-for-endpoint': ['runtime', 'store'],
  // Once the agent answers, the task's proxy sidecar gets its credential.
  'provision-wait-for-healthy': ['egress', 'runtime', 'store', 'workspaceAgent'],
  'provision-restore-files': ['agentTokens', 'blobs', 'store', 'workspaceAgent'],
  'provision-mark-ready': ['store'],
  'provision-mark-failed': ['runtime', 'store'],
};

/** Just the variables of the store and ECS: no bucket, no state machine, no API keys. */
const STORE_AND_ECS = {
  TABLE_NAME: 'berth-workspaces',
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-workspaces',
  SUBNET_IDS: 'subnet-0a1b2c3d4e5f6a7b8',
  SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
  TASK_DEFINITION_ARN: 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-workspace:7',
  WORKSPACE_CAPACITY: 'FARGATE',
};

const wiringOf = async (entry: string) =>
  ((await import(`../../src/lambda/${entry}.ts`)) as { wiring: Wiring }).wiring;

describe('each Lambda entry wires only the ports it reaches', () => {
  it.each(Object.entries(PORTS))('%s wires %j', async (entry, ports) => {
    expect(Object.keys(await wiringOf(entry)).sort()).toEqual(ports);
  });

  it('task-state builds from the store and ECS variables alone; the ports it does not wire say so', async () => {
    const deps = await depsFromEnv(await wiringOf('task-state'), STORE_AND_ECS);
    expect(deps.runtime.kind).toBe('ecs');
    await expect(async () => deps.tenants.resolve('keyAAAAAAAA')).rejects.toThrow(/does not wire tenants/);
    expect(() => deps.blobs.get).toThrow(/does not wire blobs/);
  });

  it('names every missing variable of the ports it wires, and only those', async () => {
    const missing = depsFromEnv(await wiringOf('provision-mark-failed'), { TABLE_NAME: 't' });
    await expect(missing).rejects.toThrow(
      /missing environment variables: CLUSTER_ARN .*SUBNET_IDS .*SECURITY_GROUP_IDS .*TASK_DEFINITION_ARN/,
    );
    await expect(missing).rejects.not.toThrow(/FILES_BUCKET|STATE_MACHINE_ARN|API_KEYS_PARAMETER/);
  });
});

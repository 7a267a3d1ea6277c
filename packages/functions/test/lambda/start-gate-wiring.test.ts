import { METRIC, type MetricName } from '@berth/core';
import { localClientConfig } from '@berth/aws/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../../../aws/test/support/dynamodb-local.js';
import { depsFromEnv } from '../../src/lambda/lambda-deps.js';
// The StartContainer step's ports, as its Lambda builds them from its environment.
import { wiring as startContainerWiring } from '../../src/lambda/provision-start-container.js';

const ECS = {
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-workspaces',
  SUBNET_IDS: 'subnet-0a1b2c3d4e5f6a7b8',
  SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
  TASK_DEFINITION_ARN: 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-workspace:7',
  WORKSPACE_CAPACITY: 'FARGATE',
};

describe('the StartContainer step’s RunTask bucket, built from its environment, on DynamoDB Local', () => {
  const db = useDynamoDbLocal();
  // The functions build their SDK clients from the environment: point DynamoDB's at the local one.
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    const { endpoint, region, credentials } = localClientConfig(db.endpoint);
    const vars = {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('throws Throttled through its deadline for a turn past the step’s wait, counted on the handler’s metrics', async () => {
    const counted: MetricName[] = [];
    const metrics = { count: (name: MetricName) => void counted.push(name), duration: () => {} };
    const deps = await depsFromEnv(
      startContainerWiring,
      {
        ...ECS,
        TABLE_NAME: await freshTable(localDynamoClient(db)),
        // One start every 10 s: the second waits longer than the step may sleep.
        BERTH_RUNTASK_RATE: '0.1',
        BERTH_RUNTASK_BURST: '1',
      },
      metrics,
    );
    await deps.startGate!.enter('ws_first');
    expect(counted).toEqual([]);
    // `Throttled` by name (the state machine's Retry matches it), not the deadline's 503 `unavailable`.
    await expect(deps.startGate!.enter('ws_second')).rejects.toMatchObject({ name: 'Throttled' });
    expect(counted).toEqual([METRIC.RunTaskThrottled]);
    expect(await deps.startGate!.backlogMs()).toBeGreaterThan(9_000);
  });
});

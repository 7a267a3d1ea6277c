import { generateKeyPairSync } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { verifyAgentToken } from '@berth/protocol/agent-token';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsDepsFromEnv, readAwsEnv } from '../../src/lambda/aws-deps.js';

const ENTRY_POINTS = [
  'api',
  'api-stream',
  'api-authorizer',
  'api-openapi',
  'workspace-stop',
  'provision-await-predecessor',
  'provision-start-container',
  'provision-wait-for-endpoint',
  'provision-wait-for-healthy',
  'provision-restore-files',
  'provision-mark-ready',
  'provision-mark-failed',
  'task-state',
  'sweep',
  'pool-refill',
] as const;

const FULL_ENV = {
  TABLE_NAME: 'berth-workspaces',
  FILES_BUCKET: 'berth-files-123456789012',
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-workspaces',
  SUBNET_IDS: 'subnet-0a1b2c3d4e5f6a7b8, subnet-0b1c2d3e4f5a6b7c8',
  SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
  TASK_DEFINITION_ARN: 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-workspace:7',
  WORKSPACE_CAPACITY: 'FARGATE',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:berth-provision',
  STOP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/berth-stops',
  AGENT_SIGNING_KEY_SECRET: '/berth/test/agent-signing-key',
  BERTH_RUNTASK_RATE: '5',
  BERTH_RUNTASK_BURST: '10',
  BERTH_POOL_REFILL_FUNCTION: 'test-berth-pool-refill',
};

describe('Lambda entry points', () => {
  type Runtime = { streamifyResponse?: unknown; HttpResponseStream?: unknown };
  const g = globalThis as { awslambda?: Runtime };
  const hadRuntime = g.awslambda !== undefined;
  const hadStream = g.awslambda?.streamifyResponse !== undefined;
  const hadFrom = g.awslambda?.HttpResponseStream !== undefined;
  beforeAll(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    // Deps are built on first invocation: importing must work with none of the deployment's variables set.
    for (const k of Object.keys(FULL_ENV)) delete process.env[k];
    // Only the Lambda runtime provides response streaming; the streaming entry needs it at import.
    const lambda = (g.awslambda ??= {});
    lambda.streamifyResponse ??= (fn: unknown) => fn;
    lambda.HttpResponseStream ??= { from: (s: unknown) => s };
  });
  afterAll(() => {
    // Leave the global as it was for other files in this worker.
    if (!hadRuntime) delete g.awslambda;
    else {
      if (!hadStream) delete g.awslambda?.streamifyResponse;
      if (!hadFrom) delete g.awslambda?.HttpResponseStream;
    }
  });

  it.each(ENTRY_POINTS)('%s exports a handler function and imports without any AWS env', async (name) => {
    const mod = (await import(`../../src/lambda/${name}.ts`)) as { handler?: unknown };
    expect(typeof mod.handler).toBe('function');
  });
});

describe('aws-deps', () => {
  it('names every missing variable and what it is for', () => {
    const { TABLE_NAME: _t, STATE_MACHINE_ARN: _s, ...partial } = FULL_ENV;
    expect(() => readAwsEnv(partial)).toThrow(
      /missing environment variables: TABLE_NAME \(DynamoDB table of workspaces\), STATE_MACHINE_ARN/,
    );
  });

  it('treats a blank variable as missing', () => {
    expect(() => readAwsEnv({ ...FULL_ENV, CLUSTER_ARN: '  ' })).toThrow(/CLUSTER_ARN/);
  });

  it('builds every port from a complete environment, reading only the signing key from AWS, once', async () => {
    // Secrets Manager has no local stand-in: its one call is mocked with the service's answer.
    const sm = mockClient(SecretsManagerClient);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    sm.on(GetSecretValueCommand, { SecretId: FULL_ENV.AGENT_SIGNING_KEY_SECRET }).resolves({
      Name: FULL_ENV.AGENT_SIGNING_KEY_SECRET,
      SecretString: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    try {
      const deps = await awsDepsFromEnv(FULL_ENV);
      expect(deps.runtime.kind).toBe('ecs');
      expect(deps.config.templates.default).toBeDefined();
      const token = deps.agentTokens.tokenFor('ws_1');
      const nowSeconds = Math.floor(Date.now() / 1000);
      expect(verifyAgentToken(publicKey, token, { workspaceId: 'ws_1', nowSeconds }).ok).toBe(true);
      // Egress signs with the same key (proxy credentials): two ports, one read of the secret.
      expect(deps.egress?.admit).toBeTypeOf('function');
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      // Admission reads the RunTask bucket; the API never takes a turn there itself.
      expect(deps.startGate?.backlogMs).toBeTypeOf('function');
      await expect(deps.startGate!.enter('ws_1')).rejects.toThrow(/does not start tasks/);
      expect(deps.poolRefiller?.request).toBeTypeOf('function');
    } finally {
      sm.restore();
    }
  });

  it('refuses a RunTask rate that is not a number above 0, naming it', async () => {
    await expect(awsDepsFromEnv({ ...FULL_ENV, BERTH_RUNTASK_RATE: 'fast' })).rejects.toThrow(
      /BERTH_RUNTASK_RATE .*must be a number above 0/,
    );
  });

  it('rejects a BERTH_CONFIG that is not JSON, naming it', async () => {
    await expect(awsDepsFromEnv({ ...FULL_ENV, BERTH_CONFIG: '{nope' })).rejects.toThrow(/BERTH_CONFIG/);
  });
});

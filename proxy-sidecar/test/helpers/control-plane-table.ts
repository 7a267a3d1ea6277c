import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEgressRules, DynamoWorkspaceStore } from '@berth/aws';
import { ensureTable, localClientConfig, startDynamoDbLocal } from '@berth/aws/local';
import { newWorkspaceId, type WorkspaceRecord } from '@berth/core';

/** The control plane's table in DynamoDB Local (or BERTH_TEST_DYNAMODB_ENDPOINT), as the gateway reads it. */
export interface ControlPlaneTable {
  /** DynamoDB's URL (for a child process's AWS_ENDPOINT_URL_DYNAMODB). */
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
  /** Workspaces written as the control plane writes them. */
  store: DynamoWorkspaceStore;
  /** Their egress rules, as PUT /egress writes them. */
  rules: DynamoEgressRules;
  stop(): Promise<void>;
}

export async function startControlPlaneTable(prefix: string): Promise<ControlPlaneTable> {
  const external = process.env.BERTH_TEST_DYNAMODB_ENDPOINT;
  const db = external
    ? { endpoint: external, stop: async () => {} }
    : await startDynamoDbLocal({ inMemory: true });
  const client = new DynamoDBClient(localClientConfig(db.endpoint));
  const tableName = `${prefix}-${randomBytes(6).toString('hex')}`;
  await ensureTable(client, tableName);
  return {
    endpoint: db.endpoint,
    tableName,
    client,
    store: new DynamoWorkspaceStore({ tableName, client }),
    rules: new DynamoEgressRules({ tableName, clientConfig: localClientConfig(db.endpoint) }),
    async stop() {
      client.destroy();
      await db.stop();
    },
  };
}

/** A ready workspace record as the control plane writes it. */
export function readyWorkspace(tenantId: string, changes: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  const now = Date.now();
  return {
    id: newWorkspaceId(),
    tenantId,
    conversationId: `conv-${randomBytes(6).toString('hex')}`,
    status: 'ready',
    version: 1,
    template: 'default',
    labels: {},
    createdAt: now,
    readyAt: now,
    expiresAt: now + 3_600_000,
    lastActiveAt: now,
    ttlSeconds: 3600,
    deadlineAt: null,
    terminationReason: null,
    runtime: 'ecs',
    fromPool: false,
    templateVersion: '',
    taskRef: null,
    endpoint: null,
    ...changes,
  };
}

import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ATTR, INDEX, type IndexName } from './table-keys.js';

export { ATTR, INDEX, type IndexName };

/** One string-keyed GSI with all attributes projected (every index query returns whole records). */
export interface IndexDefinition {
  indexName: IndexName;
  partitionKey: { name: string; type: 'S' };
  sortKey: { name: string; type: 'S' };
  projection: 'ALL';
}

/**
 * The Berth table, in a neutral shape that maps directly onto both DynamoDB's CreateTable (local mode,
 * tests: {@link ensureTable}) and the SST/CDK `Table` construct of the Data stack.
 */
export const WORKSPACE_TABLE = {
  partitionKey: { name: ATTR.pk, type: 'S' },
  sortKey: { name: ATTR.sk, type: 'S' },
  timeToLiveAttribute: ATTR.ttl,
  billingMode: 'PAY_PER_REQUEST',
  globalSecondaryIndexes: [
    {
      indexName: INDEX.byTenant,
      partitionKey: { name: ATTR.gsi1pk, type: 'S' },
      sortKey: { name: ATTR.gsi1sk, type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: INDEX.liveByExpiry,
      partitionKey: { name: ATTR.gsi2pk, type: 'S' },
      sortKey: { name: ATTR.gsi2sk, type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: INDEX.liveByDeadline,
      partitionKey: { name: ATTR.gsi3pk, type: 'S' },
      sortKey: { name: ATTR.gsi3sk, type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: INDEX.byPool,
      partitionKey: { name: ATTR.gsi4pk, type: 'S' },
      sortKey: { name: ATTR.gsi4sk, type: 'S' },
      projection: 'ALL',
    },
  ] satisfies IndexDefinition[],
} as const;

/** CreateTable input for {@link WORKSPACE_TABLE} under `tableName`. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const t = WORKSPACE_TABLE;
  const keyNames = new Set<string>([t.partitionKey.name, t.sortKey.name]);
  for (const i of t.globalSecondaryIndexes) keyNames.add(i.partitionKey.name).add(i.sortKey.name);
  return {
    TableName: tableName,
    BillingMode: t.billingMode,
    AttributeDefinitions: [...keyNames].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: t.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: t.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: t.globalSecondaryIndexes.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: i.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: i.projection },
    })),
  };
}

/**
 * Creates the table if it is missing, waits until it is ACTIVE and turns TTL on. For local mode and tests;
 * in the cloud the Data stack owns the table. Safe to call concurrently and repeatedly.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (err) {
      // Another process created it between our describe and create.
      if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });

  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: WORKSPACE_TABLE.timeToLiveAttribute, Enabled: true },
    }),
  );
}

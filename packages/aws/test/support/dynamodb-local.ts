import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../src/dynamodb/table-definition.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../src/local/dynamodb-local.js';
import { localClientConfig } from '../../src/local/local-aws-config.js';
import { sharedEmulator } from './shared-emulator.js';

/**
 * An already running DynamoDB Local to use instead of starting one (e.g. from a vitest globalSetup, so the
 * JVM starts once per run rather than once per test file).
 */
const EXTERNAL_ENDPOINT = 'BERTH_TEST_DYNAMODB_ENDPOINT';

const shared = sharedEmulator(async (): Promise<DynamoDbLocal> => {
  const endpoint = process.env[EXTERNAL_ENDPOINT];
  if (endpoint) return { endpoint, port: Number(new URL(endpoint).port), startupMs: 0, stop: async () => {} };
  return startDynamoDbLocal({ inMemory: true });
});

/**
 * Registers beforeAll/afterAll hooks for the process-wide in-memory DynamoDB Local and returns a handle to
 * it (usable inside tests and hooks). Starting the JVM takes seconds: keep suites that need it few.
 */
export const useDynamoDbLocal: () => DynamoDbLocal = shared;

/** A client for `db`, with the local region and dummy credentials. */
export const localDynamoClient = (db: DynamoDbLocal) => new DynamoDBClient(localClientConfig(db.endpoint));

/** A new, empty Berth table with a random name, so suites and tests never see each other's items. */
export async function freshTable(client: DynamoDBClient): Promise<string> {
  const name = `berth-test-${randomBytes(6).toString('hex')}`;
  await ensureTable(client, name);
  return name;
}

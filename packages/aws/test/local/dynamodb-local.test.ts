import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../src/dynamodb/table-definition.js';
import { startDynamoDbLocal } from '../../src/local/dynamodb-local.js';
import { startFauxqs } from '../../src/local/fauxqs.js';
import { localClientConfig } from '../../src/local/local-aws-config.js';

describe('startDynamoDbLocal', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps tables in a persistent dbPath across restarts (local mode)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ddb-'));
    const first = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
    const c1 = new DynamoDBClient(localClientConfig(first.endpoint));
    await ensureTable(c1, 'berth');
    c1.destroy();
    await first.stop();
    await first.stop(); // idempotent
    await expect(fetch(first.endpoint)).rejects.toThrow();

    const second = await startDynamoDbLocal({ dbPath: join(dir, 'db') });
    // Other credentials see the same database (-sharedDb).
    const c2 = new DynamoDBClient({
      ...localClientConfig(second.endpoint),
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
    });
    expect((await c2.send(new ListTablesCommand({}))).TableNames).toEqual(['berth']);
    c2.destroy();
    await second.stop();
  }, 120_000);

  it('refuses contradictory options', async () => {
    await expect(startDynamoDbLocal({ inMemory: true, dbPath: '/tmp/x' })).rejects.toThrow(/exclude/);
  });

  it('reports a port that is already taken', async () => {
    const f = await startFauxqs();
    try {
      await expect(startDynamoDbLocal({ port: f.port })).rejects.toThrow(/exited before answering/);
    } finally {
      await f.stop();
    }
  }, 120_000);
});

describe('startFauxqs', () => {
  it('listens on loopback only', async () => {
    const f = await startFauxqs();
    expect(f.endpoint).toBe(`http://127.0.0.1:${f.port}`);
    await f.stop();
    await f.stop();
  });
});

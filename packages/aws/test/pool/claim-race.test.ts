import { acquireWorkspace, loadBerthConfig, newPoolMember, type WorkspaceRecord } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { DynamoWorkspaceStore } from '../../src/dynamodb/dynamo-workspace-store.js';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../support/dynamodb-local.js';
import { poolDeps } from '../support/pool-deps.js';

const POOL = 10;
const CLAIMERS = 50;
const ROUNDS = 20;

describe('warm pool claims on DynamoDB Local', () => {
  const db = useDynamoDbLocal();

  it(`${CLAIMERS} concurrent creates against a pool of ${POOL}: exactly ${POOL} claims, no member twice, the rest cold (${ROUNDS} rounds)`, async () => {
    const client = localDynamoClient(db);
    const store = new DynamoWorkspaceStore({ tableName: await freshTable(client), client });
    const config = loadBerthConfig({ templates: { default: { pool: { min: POOL, max: POOL } } } });
    const { deps, coldStarts } = poolDeps(store, config);

    for (let round = 0; round < ROUNDS; round++) {
      coldStarts.length = 0;
      const members: WorkspaceRecord[] = [];
      for (let i = 0; i < POOL; i++) {
        const member = newPoolMember(config, 'ecs', 'default', Date.now());
        const warm = { ...member, status: 'ready' as const, readyAt: Date.now(), deadlineAt: null };
        Object.assign(warm, {
          taskRef: `task-${member.id}`,
          endpoint: { kind: 'http', host: '10.0.0.1', port: 9000 },
        });
        await store.createPoolMember(warm);
        members.push(warm);
      }

      const results = await Promise.all(
        Array.from({ length: CLAIMERS }, (_, i) =>
          acquireWorkspace(deps, {
            tenantId: `acme-${round}`,
            conversationId: `r${round}-c${i}`,
            wait: false,
          }),
        ),
      );

      const fromPool = results.filter((r) => r.workspace.fromPool);
      const ids = results.map((r) => r.workspace.id);
      expect(fromPool).toHaveLength(POOL);
      expect(new Set(fromPool.map((r) => r.workspace.id))).toEqual(new Set(members.map((m) => m.id)));
      expect(new Set(ids).size).toBe(CLAIMERS); // no workspace answered to two conversations
      expect(coldStarts).toHaveLength(CLAIMERS - POOL);
      // Each claimed member is its one conversation's, bound and stored so.
      for (const r of fromPool) {
        const stored = await store.get(r.workspace.id, { now: Date.now() });
        const binding = await store.getBinding(`acme-${round}`, r.workspace.conversationId);
        expect(stored).toMatchObject({
          tenantId: `acme-${round}`,
          conversationId: r.workspace.conversationId,
          status: 'ready',
        });
        expect(binding?.workspaceId).toBe(r.workspace.id);
      }
      expect(await store.listPool('default', 100)).toEqual([]);
    }
  }, 240_000);
});

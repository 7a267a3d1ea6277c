import { adoptMemberTask, loadBerthConfig, newPoolMember, type WorkspaceRecord } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { DynamoWorkspaceStore } from '../../src/dynamodb/dynamo-workspace-store.js';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../support/dynamodb-local.js';
import { poolDeps } from '../support/pool-deps.js';

// A hibernated workspace resuming takes a warm member's task (pool/adopt-member.ts): one transaction on
// DynamoDB Local, under races with other resumes and with changes to the workspace.
describe('resuming on a warm member on DynamoDB Local', () => {
  const db = useDynamoDbLocal();

  async function setUp(hibernated: number) {
    const client = localDynamoClient(db);
    const store = new DynamoWorkspaceStore({ tableName: await freshTable(client), client });
    const config = loadBerthConfig({ templates: { default: { pool: { min: 1, max: 1 } } } });
    const { deps } = poolDeps(store, config, { freezes: false });
    const now = Date.now();
    const fresh = newPoolMember(config, 'ecs', 'default', now);
    const member: WorkspaceRecord = {
      ...fresh,
      status: 'ready',
      readyAt: now,
      deadlineAt: null,
      taskRef: `arn:task/${fresh.id}`,
      endpoint: { kind: 'http', host: '10.0.0.7', port: 9000 },
    };
    await store.createPoolMember(member);
    const resuming: WorkspaceRecord[] = [];
    for (let i = 0; i < hibernated; i++) {
      // As the API leaves a resume for StartContainer: provisioning again, no task.
      const ws: WorkspaceRecord = {
        ...fresh,
        id: `ws_resume${i}`,
        tenantId: 'acme',
        conversationId: `c${i}`,
        status: 'provisioning',
        version: 5,
        fromPool: false,
        readyAt: null,
        deadlineAt: now + 60_000,
        taskRef: null,
        endpoint: null,
      };
      await store.createForConversation({ ...ws, version: 5 }, { replaces: null });
      resuming.push(ws);
    }
    return { deps, store, member, resuming };
  }

  it('of 8 concurrent resumes one takes the member (its task and identity), the others start cold', async () => {
    const { deps, store, member, resuming } = await setUp(8);
    const adopted = await Promise.all(resuming.map((ws) => adoptMemberTask(deps, ws)));
    const winners = adopted.filter((a) => a !== null);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(await store.get(winner.id, { now: Date.now() })).toMatchObject({
      status: 'provisioning',
      version: 6,
      taskRef: member.taskRef,
      endpoint: member.endpoint,
      agentId: member.id,
    });
    expect(await store.get(member.id, { now: Date.now(), includeExpired: true })).toMatchObject({
      status: 'stopped',
      terminationReason: 'adopted',
      adoptedBy: winner.id,
    });
    // Out of the pool, and every loser untouched.
    expect(await store.listPool('default', 10)).toEqual([]);
    for (const ws of resuming.filter((w) => w.id !== winner.id)) {
      expect(await store.get(ws.id, { now: Date.now() })).toMatchObject({ version: 5, taskRef: null });
    }
  });

  it('a workspace that changed since it was read takes nothing: the member stays warm', async () => {
    const { deps, store, member, resuming } = await setUp(1);
    await store.update(resuming[0]!.id, 5, { lastActiveAt: Date.now() });
    expect(await adoptMemberTask(deps, resuming[0]!)).toBeNull();
    expect((await store.listPool('default', 10)).map((m) => m.id)).toEqual([member.id]);
  });
});

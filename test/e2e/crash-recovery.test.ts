import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoDbLocalsServing } from '@berth/aws/local';
import { labelKeys, managedFilter } from '../../local-docker/src/runtime/labels.js';
import { startBerthProcess } from '../bench/berth-process.js';
import { sleep } from '../support/local-berth.js';
import { removeBerthLeftovers } from '../support/leftovers.js';

/**
 * Berth is SIGKILLed (no handler runs) while 10 creates are provisioning, in its own process as `npm start`
 * runs it. Its DynamoDB Local dies with it, and the next start fails every provisioning the dead process
 * left (`provision_failed:host_restarted`) before it serves: none waits for its deadline, no container of
 * theirs is left, and their conversations take a new create at once.
 */
describe('crash recovery of the local host', () => {
  const docker = new Dockerode();
  const labelPrefix = `e2e.berth.r${randomBytes(4).toString('hex')}`;
  const key = `key-${randomBytes(12).toString('hex')}`;
  let stateDir = '';
  let berth: Awaited<ReturnType<typeof startBerthProcess>> | undefined;

  afterAll(async () => {
    await berth?.stop().catch(() => undefined);
    await removeBerthLeftovers({ docker, labelPrefix, stateDir });
  });

  const start = () => startBerthProcess({ stateDir, apiKeys: `t:${key}`, labelPrefix });
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await berth!.request(method, p, body, 60_000);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const containersOf = (workspaceId: string) =>
    docker.listContainers({
      all: true,
      filters: {
        label: [managedFilter(labelPrefix), `${labelKeys(labelPrefix).workspaceId}=${workspaceId}`],
      },
    });

  it('SIGKILL with 10 creates in flight: after a restart none is provisioning, one DynamoDB Local', async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'berth-crash-'));
    const dbDir = path.join(stateDir, 'dynamodb');
    berth = await start();
    expect(await dynamoDbLocalsServing(dbDir)).toHaveLength(1);

    const conversations = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
    const created = await Promise.all(
      conversations.map((c) => call('POST', '/v1/workspaces', { conversationId: c, wait: false })),
    );
    for (const r of created) expect(r.status).toBe(201);
    const ids = created.map((r) => r.json.id as string);
    await berth.kill();
    const killedAt = Date.now();

    // The JVM got the parent-death signal: nothing of the dead Berth keeps serving its database.
    for (let end = Date.now() + 10_000; (await dynamoDbLocalsServing(dbDir)).length > 0; await sleep(100)) {
      if (Date.now() > end) throw new Error('the DynamoDB Local of the killed Berth is still running');
    }

    berth = await start();
    const views = await Promise.all(ids.map((id) => call('GET', `/v1/workspaces/${id}`)));
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    for (const [i, v] of views.entries()) {
      expect(v.status, `${ids[i]}: ${JSON.stringify(v.json)}`).toBe(200);
      // Recovery runs before the first request is served: nothing is left provisioning, each says why.
      const { status, terminationReason } = v.json;
      expect(
        status === 'ready' ||
          (status === 'failed' && terminationReason === 'provision_failed:host_restarted'),
        `${String(v.json.id)}: ${String(status)} ${String(terminationReason)}`,
      ).toBe(true);
    }
    const failed = views.filter((v) => v.json.status === 'failed');
    // 10 parallel cold starts take far longer than the answers to `wait: false`: the kill caught some.
    expect(failed.length).toBeGreaterThan(0);
    expect(await dynamoDbLocalsServing(dbDir)).toHaveLength(1);
    for (const v of failed) expect(await containersOf(v.json.id as string)).toEqual([]);

    // The conversation of a failed one is free: a new create gets a fresh, ready workspace.
    const again = await call('POST', '/v1/workspaces', { conversationId: failed[0]!.json.conversationId });
    expect(again.status).toBe(201);
    expect(again.json.status).toBe('ready');
    expect(again.json.id).not.toBe(failed[0]!.json.id);
  }, 240_000);
});

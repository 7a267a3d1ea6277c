import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { METRIC, type Clock, type MetricName } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { DynamoStartBacklog, START_GATE_KEY } from '../../src/start-gate/dynamo-start-backlog.js';
import { DynamoStartGate, type DynamoStartGateOptions } from '../../src/start-gate/dynamo-start-gate.js';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../support/dynamodb-local.js';

/** A clock that moves only when told to; a step's sleep for its slot moves it by that long. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  const clock: Clock = { now: () => now };
  return {
    clock,
    advance: (ms: number) => void (now += ms),
    sleep: async (ms: number) => void (now += ms),
  };
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('DynamoStartGate on DynamoDB Local', () => {
  const db = useDynamoDbLocal();

  async function gates(opts: Omit<DynamoStartGateOptions, 'tableName' | 'client'>) {
    const client = localDynamoClient(db);
    const tableName = await freshTable(client);
    const counted: MetricName[] = [];
    // The API's view of the same bucket: how booked it is, no turns.
    const reader = (clock?: Clock) => new DynamoStartBacklog({ tableName, client, clock, ...opts });
    const make = () =>
      new DynamoStartGate({
        tableName,
        client,
        metrics: { count: (name) => void counted.push(name) },
        ...opts,
      });
    const item = async () =>
      (
        await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: START_GATE_KEY.pk }, sk: { S: START_GATE_KEY.sk } },
            ConsistentRead: true,
          }),
        )
      ).Item;
    return { make, reader, counted, item };
  }

  it('40 concurrent starts (separate functions): none admitted before burst + rate × elapsed allows, all admitted, in time', async () => {
    const rate = 20;
    const burst = 5;
    const { make } = await gates({ ratePerSecond: rate, burst, maxStepWaitMs: 10_000 });
    const t0 = Date.now();
    const admitted = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        await make().enter(`ws_${i}`);
        return Date.now();
      }),
    );
    admitted.sort((a, b) => a - b);
    admitted.forEach((at, k) => {
      // The (k+1)th start may go once burst + rate × elapsed reaches k+1 (1 ms: a timer may fire that early).
      const earliest = t0 + ((k + 1 - burst) / rate) * 1000;
      expect(at, `start ${k + 1}`).toBeGreaterThanOrEqual(earliest - 1);
    });
    // And the bucket holds back no more than it must: the last went about when its slot came.
    expect(admitted.at(-1)! - t0).toBeLessThan(((40 - burst) / rate) * 1000 + 3000);
  });

  it('a slot past maxStepWaitMs throws Throttled and holds it; the retry goes at that slot, before later starts', async () => {
    const time = manualClock();
    const { make, counted } = await gates({
      ratePerSecond: 1,
      burst: 1,
      maxStepWaitMs: 500,
      clock: time.clock,
      sleep: time.sleep,
    });
    const gate = make();
    await gate.enter('ws_a'); // the burst
    const refused = await gate.enter('ws_b').then(
      () => undefined,
      (e: unknown) => e as Error & { waitMs: number },
    );
    expect(refused?.name).toBe('Throttled');
    expect(refused?.waitMs).toBe(1000);
    expect(counted).toEqual([METRIC.RunTaskThrottled]);
    // Another start books the slot after ws_b's, not ws_b's again.
    await expect(gate.enter('ws_c')).rejects.toMatchObject({ name: 'Throttled', waitMs: 2000 });
    // Still too early for ws_b: refused again, nothing booked, not counted twice.
    time.advance(300);
    await expect(gate.enter('ws_b')).rejects.toMatchObject({ name: 'Throttled', waitMs: 700 });
    expect(await gate.backlogMs()).toBe(2700);
    // Within the step's wait: ws_b sleeps until its slot and goes.
    time.advance(400);
    await gate.enter('ws_b');
    expect(time.clock.now()).toBe(1_700_000_001_000);
    expect(counted).toEqual([METRIC.RunTaskThrottled, METRIC.RunTaskThrottled]);
    // A slot further off than the book may run ahead is not booked at all.
    const short = (
      await gates({ ratePerSecond: 1, burst: 1, maxStepWaitMs: 0, maxBookAheadMs: 1500 })
    ).make();
    await short.enter('ws_1');
    await expect(short.enter('ws_2')).rejects.toMatchObject({ name: 'Throttled' });
    const backlog = await short.backlogMs();
    await expect(short.enter('ws_3')).rejects.toMatchObject({ name: 'Throttled' });
    await expect(short.backlogMs()).resolves.toBeLessThanOrEqual(backlog);
  });

  it('backlogMs grows by one interval per booked start past the burst, and shrinks as time passes', async () => {
    const time = manualClock();
    const { make, reader } = await gates({
      ratePerSecond: 10,
      burst: 2,
      maxStepWaitMs: 0,
      clock: time.clock,
      sleep: time.sleep,
    });
    const gate = make();
    expect(await gate.backlogMs()).toBe(0);
    const backlogs: number[] = [];
    for (let i = 0; i < 6; i++) {
      await gate.enter(`ws_${i}`).catch((e: Error) => expect(e.name).toBe('Throttled'));
      backlogs.push(await gate.backlogMs());
    }
    expect(backlogs).toEqual([0, 100, 200, 300, 400, 500]);
    time.advance(250);
    expect(await gate.backlogMs()).toBe(250);
    // The API's reader sees the same book, and takes no turns.
    expect(await reader(time.clock).backlogMs()).toBe(250);
    await expect(reader().enter('ws_x')).rejects.toThrow(/does not start tasks/);
    time.advance(10_000);
    expect(await gate.backlogMs()).toBe(0);
  });

  it('100 concurrent first bookings of an idle bucket: the ones that lost the race book again, none lost, none booked twice', async () => {
    const time = manualClock();
    const { make, item } = await gates({
      ratePerSecond: 1000,
      burst: 1000,
      clock: time.clock,
      // The clock stands still: only the conflict backoff sleeps.
      sleep: realSleep,
    });
    const n = 100;
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => make().enter(`ws_${i}`)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const bucket = (await item())!;
    // One booking per start: n slots of 1 ms each from a standing clock.
    expect(bucket.booked!.N).toBe(String(n));
    expect(Number(bucket.tat!.N)).toBe(time.clock.now() + n);
  });
});

import { describe, expect, it } from 'vitest';
import { StartQueue } from '../../src/host/start-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('StartQueue', () => {
  it('serves turns first come, first served, at most `concurrency` at once', async () => {
    const q = new StartQueue(1);
    const order: string[] = [];
    const first = await q.take();
    const waits = ['a', 'b', 'c'].map((name) => q.take().then((end) => (order.push(name), end)));
    await tick();
    expect(order).toEqual([]);
    first();
    for (const w of waits) (await w)();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it("serves a pool member's turn only when no tenant's start waits, and counts only tenants' in the backlog", async () => {
    const q = new StartQueue(1);
    const order: string[] = [];
    const first = await q.take();
    const member = q.take({ background: true }).then((end) => (order.push('member'), end));
    const tenant = q.take().then((end) => (order.push('tenant'), end));
    await tick();
    expect(q.queued).toBe(2);
    expect(q.backlogMs()).toBe(500); // one tenant's turn ahead, at the starting average
    first();
    (await tenant)();
    (await member)();
    expect(order).toEqual(['tenant', 'member']);
  });
});

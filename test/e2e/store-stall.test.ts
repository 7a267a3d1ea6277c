import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbLocalsServing } from '@berth/aws/local';
import { expectErrorShape, sleep, uniq, useLocalBerth, type ApiAnswer } from '../support/local-berth.js';

// A stalled store (DynamoDB Local's JVM stopped with SIGSTOP: its sockets accept and never answer, the worst
// kind of outage) must make every API call answer quickly, 503 with Retry-After where it needs the store,
// and everything must work again once the store is back.
const b = useLocalBerth();
const STALL_MS = 20_000;
const ANSWER_WITHIN_MS = 5_000;

/** The pids of the DynamoDB Local JVM serving this host's state dir (found by its command line). */
const dynamoPids = (stateDir: string) => dynamoDbLocalsServing(path.join(stateDir, 'dynamodb'));

let stopped: number[] = [];
const resume = () => {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
  stopped = [];
};
afterAll(resume); // never leave a stopped JVM behind, whatever failed

let wsId = '';
beforeAll(async () => {
  wsId = (await b.createWorkspace(uniq('stall'))).json.id;
  await b.sh(wsId, 'echo kept > /workspace/kept.txt');
});

/** One round of every kind of call, each timed. */
async function everyCall(): Promise<{ what: string; r: ApiAnswer }[]> {
  const calls: [string, () => Promise<ApiAnswer>][] = [
    ['health', () => b.api('GET', '/health', { key: null })],
    ['list', () => b.api('GET', '/v1/workspaces')],
    ['get', () => b.api('GET', `/v1/workspaces/${wsId}`)],
    ['create', () => b.api('POST', '/v1/workspaces', { body: { conversationId: uniq('during') } })],
    ['exec', () => b.api('POST', `/v1/workspaces/${wsId}/exec`, { body: { cmd: ['cat', 'kept.txt'] } })],
    ['file read', () => b.api('GET', `/v1/workspaces/${wsId}/files?path=kept.txt`)],
    ['keepalive', () => b.api('POST', `/v1/workspaces/${wsId}/keepalive`, { body: {} })],
  ];
  return Promise.all(calls.map(async ([what, fn]) => ({ what, r: await fn() })));
}

describe('DynamoDB Local stopped for 20 s', () => {
  it('every call answers within 5 s (503 with Retry-After where it needs the store), then all works again', async () => {
    const pids = await dynamoPids(b.stateDir);
    expect(pids.length).toBe(1);
    // Before: all fine.
    for (const { what, r } of await everyCall()) expect(r.status, what).toBeLessThan(400);

    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    stopped = pids;
    const stallEnds = Date.now() + STALL_MS;
    const seen = new Map<string, Set<number>>();
    let rounds = 0;
    while (Date.now() < stallEnds - ANSWER_WITHIN_MS) {
      for (const { what, r } of await everyCall()) {
        const why = `${what} during the stall: ${r.status} in ${Math.round(r.ms)} ms ${r.text.slice(0, 200)}`;
        expect(r.ms, why).toBeLessThan(ANSWER_WITHIN_MS);
        if (!seen.has(what)) seen.set(what, new Set());
        seen.get(what)!.add(r.status);
        if (what === 'health') {
          expect(r.status, why).toBe(503);
          expect(r.json.components.store, why).toBe('error');
          expect(r.json.components.runtime, why).toBe('ok');
          continue;
        }
        // Reads the local write-through cache still holds may succeed; anything else is a clean 503.
        if (r.status >= 300) {
          expectErrorShape(r, 503, 'unavailable');
          expect(Number(r.headers.get('retry-after')), why).toBeGreaterThan(0);
        }
      }
      rounds++;
    }
    await sleep(Math.max(0, stallEnds - Date.now()));
    resume();
    expect(rounds).toBeGreaterThan(1);
    // What needs the store did answer 503 (the stall was real, not served around).
    for (const what of ['list', 'create', 'keepalive']) expect([...seen.get(what)!], what).toEqual([503]);

    // After: everything works again, within a few seconds.
    await b.until(
      async () => (await b.api('GET', '/health', { key: null })).status === 200,
      15_000,
      'health',
    );
    await b.until(async () => (await b.api('GET', '/v1/workspaces')).status === 200, 15_000, 'list');
    expect((await b.api('GET', `/v1/workspaces/${wsId}`)).json.status).toBe('ready');
    expect((await b.exec(wsId, ['cat', 'kept.txt'])).json.stdout).toBe('kept\n');
    expect((await b.api('POST', `/v1/workspaces/${wsId}/keepalive`, { body: {} })).status).toBe(200);
    const fresh = await b.createWorkspace(uniq('after'));
    expect(fresh.json.status).toBe('ready');
    expect((await b.exec(fresh.json.id, ['echo', 'ok'])).json.stdout).toBe('ok\n');
  });
});

import { describe, expect, it } from 'vitest';
import { BerthApiError, BerthTimeoutError } from '@berth/sdk';
import { BerthApiError as ApiErrorClass } from '../src/errors.js';
import { retryDelayMs } from '../src/http/retry.js';
import { apiError, json, sleep, useFakeBerth, view, caught } from './support/fake-berth.js';

// Berth's admission control refuses a create with 429 quota_exceeded or 503 capacity/unavailable and
// Retry-After; create is keyed by conversationId, so the SDK tries again, within bounds.
const fake = useFakeBerth();

const REQUEST = { conversationId: 'conv-1', template: 'default' };

/** Answers the refusals in order (status, code, Retry-After or none), then 201 with the workspace. */
function refuseThenCreate(refusals: [number, string, string | undefined][]) {
  let calls = 0;
  fake.handle((_req, res) => {
    const refusal = refusals[calls++];
    if (!refusal) return json(res, 201, view('ws_1', { fromPool: true }));
    const [status, code, retryAfter] = refusal;
    return apiError(res, status, code, retryAfter === undefined ? {} : { retryAfter });
  });
}

describe('create retries admission refusals', () => {
  it('429 quota_exceeded, 503 capacity, 503 unavailable without Retry-After, then 201: the same request each time', async () => {
    refuseThenCreate([
      [429, 'quota_exceeded', '0'],
      [503, 'capacity', '0'],
      [503, 'unavailable', undefined],
    ]);
    const w = await fake.client({ maxRetryWaitMs: 20 }).workspaces.create(REQUEST);
    expect(w.id).toBe('ws_1');
    expect(w.info.fromPool).toBe(true);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(4).fill('POST /v1/workspaces'));
    expect(fake.requests.map((r) => r.json)).toEqual(Array(4).fill(REQUEST));
  });

  it('waits as long as Retry-After says before the next attempt', async () => {
    const arrived: number[] = [];
    fake.handle((_req, res) => {
      arrived.push(performance.now());
      return arrived.length === 1
        ? apiError(res, 503, 'capacity', { retryAfter: '1' })
        : json(res, 201, view('ws_1'));
    });
    const w = await fake.client().workspaces.create(REQUEST);
    expect(w.id).toBe('ws_1');
    expect(arrived).toHaveLength(2);
    expect(arrived[1]! - arrived[0]!).toBeGreaterThanOrEqual(950);
  });

  it('a Retry-After past maxRetryWaitMs is waited only that long, then tried again', async () => {
    refuseThenCreate([[429, 'quota_exceeded', '3600']]);
    const w = await fake.client({ maxRetryWaitMs: 30 }).workspaces.create(REQUEST);
    expect(w.id).toBe('ws_1');
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after 5 attempts by default, throwing the last answer with its code and Retry-After', async () => {
    let calls = 0;
    fake.handle((_req, res) =>
      ++calls < 5
        ? apiError(res, 429, 'quota_exceeded', { retryAfter: '0' })
        : apiError(res, 503, 'capacity', { retryAfter: '0' }),
    );
    const e = await caught(fake.client().workspaces.create(REQUEST));
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toMatchObject({ status: 503, code: 'capacity', retryAfterSeconds: 0 });
    expect(fake.requests).toHaveLength(5);
  });

  it('createMaxRetries per client, maxRetries per call; 0 turns retrying off', async () => {
    fake.handle((_req, res) => apiError(res, 503, 'unavailable', { retryAfter: '0' }));
    const berth = fake.client({ createMaxRetries: 2 });
    expect(await caught(berth.workspaces.create(REQUEST))).toMatchObject({ code: 'unavailable' });
    expect(fake.requests).toHaveLength(3);

    fake.requests.length = 0;
    await caught(berth.workspaces.create(REQUEST, { maxRetries: 1 }));
    expect(fake.requests).toHaveLength(2);

    fake.requests.length = 0;
    const e = await caught(berth.workspaces.create(REQUEST, { maxRetries: 0 }));
    expect(e).toMatchObject({ status: 503, code: 'unavailable', retryAfterSeconds: 0 });
    expect(fake.requests).toHaveLength(1);

    fake.requests.length = 0;
    await caught(fake.client({ createMaxRetries: 0 }).workspaces.create(REQUEST));
    expect(fake.requests).toHaveLength(1);

    // A client that turns retries off turns them off for create too, unless createMaxRetries says otherwise.
    fake.requests.length = 0;
    await caught(fake.client({ maxRetries: 0 }).workspaces.create(REQUEST));
    expect(fake.requests).toHaveLength(1);
  });

  it('a wait that would end past timeoutMs is not started: the refusal is thrown at once', async () => {
    refuseThenCreate([[429, 'quota_exceeded', '20']]);
    const e = await caught(fake.client().workspaces.create(REQUEST, { timeoutMs: 5_000 }));
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toMatchObject({ status: 429, code: 'quota_exceeded', retryAfterSeconds: 20 });
    expect(fake.requests).toHaveLength(1);
  });

  it("a stalled retry times out, naming the call's limit", async () => {
    let calls = 0;
    fake.handle(async (_req, res) => {
      if (++calls === 1) return apiError(res, 503, 'capacity', { retryAfter: '0' });
      await sleep(2_000);
      json(res, 201, view('ws_1'));
    });
    const e = await caught(fake.client().workspaces.create(REQUEST, { timeoutMs: 300 }));
    expect(e).toBeInstanceOf(BerthTimeoutError);
    expect((e as BerthTimeoutError).timeoutMs).toBe(300);
    expect(fake.requests).toHaveLength(2);
  });

  it('aborting during a wait rejects at once with the AbortError, and nothing more is sent', async () => {
    fake.handle((_req, res) => apiError(res, 429, 'quota_exceeded', { retryAfter: '25' }));
    const controller = new AbortController();
    const pending = caught(fake.client().workspaces.create(REQUEST, { signal: controller.signal }));
    while (fake.requests.length === 0) await sleep(5);
    await sleep(50); // the refusal is read, the wait has begun
    const t0 = performance.now();
    controller.abort();
    const e = await pending;
    expect((e as Error).name).toBe('AbortError');
    expect(e).not.toBeInstanceOf(BerthApiError);
    expect(performance.now() - t0).toBeLessThan(5_000);
    await sleep(100);
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    [400, 'invalid_request'],
    [404, 'not_found'],
    [409, 'workspace_ended'],
    [503, 'provision_failed'],
  ])('a %i (%s) is never retried, Retry-After or not', async (status, code) => {
    fake.handle((_req, res) => apiError(res, status, code, { retryAfter: '0' }));
    expect(await caught(fake.client().workspaces.create(REQUEST))).toMatchObject({ status, code });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('exec is not retried on admission refusals', () => {
  it.each([
    [429, 'quota_exceeded'],
    [503, 'capacity'],
    [503, 'unavailable'],
  ])('commands.run and commands.stream on %i %s: one request, the error thrown', async (status, code) => {
    fake.handle((_req, res) => apiError(res, status, code, { retryAfter: '0' }));
    const ws = fake.client({ maxRetries: 5 }).workspaces.handle('ws_1');
    expect(await caught(ws.commands.run(['echo'], { maxRetries: 5 }))).toMatchObject({ status, code });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.json).toEqual({ cmd: ['echo'] }); // maxRetries stays out of the body

    const events = ws.commands.stream(['echo'])[Symbol.asyncIterator]();
    expect(await caught(events.next())).toMatchObject({ status, code });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('retryDelayMs', () => {
  const refusal = (retryAfterSeconds?: number) =>
    new ApiErrorClass({ status: 503, code: 'capacity', message: 'm', retryAfterSeconds });

  it('Retry-After in ms, capped per wait', () => {
    expect(retryDelayMs(refusal(2), 0)).toBe(2_000);
    expect(retryDelayMs(refusal(0), 3)).toBe(0);
    expect(retryDelayMs(refusal(3600), 0)).toBe(30_000);
    expect(retryDelayMs(refusal(3600), 0, 50)).toBe(50);
  });

  it('without Retry-After: exponential backoff, jittered between half and all of it, capped', () => {
    expect(retryDelayMs(refusal(), 0, 30_000, () => 0)).toBe(250);
    expect(retryDelayMs(refusal(), 0, 30_000, () => 1)).toBe(500);
    expect(retryDelayMs(refusal(), 2, 30_000, () => 0)).toBe(1_000);
    expect(retryDelayMs(refusal(), 2, 30_000, () => 1)).toBe(2_000);
    expect(retryDelayMs(refusal(), 10, 30_000, () => 1)).toBe(8_000);
    expect(retryDelayMs(refusal(), 10, 100, () => 1)).toBe(100);
  });
});

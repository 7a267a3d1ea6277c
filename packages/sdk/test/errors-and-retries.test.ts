import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Berth, BerthApiError, BerthConnectionError, BerthError, BerthTimeoutError } from '@berth/sdk';
import { API_KEY, apiError, json, sleep, useFakeBerth, view, caught } from './support/fake-berth.js';

// API.md's error shape becomes BerthApiError; answers that ask for it are retried, others never.
const fake = useFakeBerth();

describe('error mapping', () => {
  it("API.md's error body: status, code, message, requestId, Retry-After", async () => {
    fake.handle((_req, res) => apiError(res, 404, 'not_found', { requestId: 'abc-123' }));
    const e = await caught(fake.client().workspaces.get('ws_x'));
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toBeInstanceOf(BerthError);
    expect(e).toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'not_found happened',
      requestId: 'abc-123',
    });
    expect((e as BerthApiError).retryAfterSeconds).toBeUndefined();

    fake.handle((_req, res) => apiError(res, 409, 'workspace_paused', { retryAfter: '7' }));
    expect(await caught(fake.client({ maxRetries: 0 }).workspaces.get('ws_x'))).toMatchObject({
      status: 409,
      code: 'workspace_paused',
      retryAfterSeconds: 7,
    });
  });

  it('a non-JSON 502 (a proxy page) is a BerthApiError with code internal and the status', async () => {
    fake.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'apigw-requestid': 'gw-9' });
      res.end('<html>Bad Gateway</html>');
    });
    const e = await caught(fake.client().workspaces.get('ws_x'));
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toMatchObject({ status: 502, code: 'internal', requestId: 'gw-9' });
    expect((e as Error).message).toContain('Bad Gateway');
  });

  it('a non-JSON error keeps the meaning of its status (401 → unauthorized)', async () => {
    fake.handle((_req, res) => res.writeHead(401).end());
    expect(await caught(fake.client().workspaces.get('ws_x'))).toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
  });

  // API Gateway's own throttling answers 429 `{"message":"Too Many Requests"}`: that is the stage's or the key's
  // rate, not the tenant's quota of live workspaces, whose 429 always carries API.md's body.
  it.each([
    [429, 'throttled', '{"message":"Too Many Requests"}'],
    [503, 'capacity', ''],
  ])("a %i without an error code is read as its status's general code, %s", async (status, code, body) => {
    fake.handle((_req, res) => res.writeHead(status, { 'retry-after': '4' }).end(body));
    expect(await caught(fake.client({ maxRetries: 0 }).workspaces.get('ws_x'))).toMatchObject({
      status,
      code,
      retryAfterSeconds: 4,
    });
  });

  it('a 429 quota_exceeded keeps its code, message and Retry-After', async () => {
    fake.handle((_req, res) => apiError(res, 429, 'quota_exceeded', { retryAfter: '10', requestId: 'q-1' }));
    const e = await caught(fake.client({ maxRetries: 0 }).workspaces.create({ conversationId: 'c' }));
    expect(e).toBeInstanceOf(BerthApiError);
    expect(e).toMatchObject({
      status: 429,
      code: 'quota_exceeded',
      message: 'quota_exceeded happened',
      requestId: 'q-1',
      retryAfterSeconds: 10,
    });
  });

  it('a 200 whose body is not JSON is a BerthError saying so', async () => {
    fake.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    const e = await caught(fake.client().workspaces.get('ws_x'));
    expect(e).toBeInstanceOf(BerthError);
    expect(e).not.toBeInstanceOf(BerthConnectionError);
    expect((e as Error).message).toMatch(/not JSON/);
  });

  it('nobody listening: BerthConnectionError', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const berth = new Berth({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY });
    const e = await caught(berth.workspaces.get('ws_x'));
    expect(e).toBeInstanceOf(BerthConnectionError);
    expect(e).not.toBeInstanceOf(BerthApiError);
  });

  it('no answer within timeoutMs: BerthTimeoutError (a BerthConnectionError)', async () => {
    fake.handle(async (_req, res) => {
      await sleep(1000);
      json(res, 200, view('ws_1'));
    });
    const e = await caught(fake.client({ timeoutMs: 100 }).workspaces.get('ws_1'));
    expect(e).toBeInstanceOf(BerthTimeoutError);
    expect(e).toBeInstanceOf(BerthConnectionError);
  });

  it("the caller's abort stays an AbortError", async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    const w = await fake.client().workspaces.get('ws_1');
    fake.handle(async (_req, res) => {
      await sleep(1000);
      json(res, 200, {});
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = await caught(w.commands.run(['true'], { signal: controller.signal }));
    expect((e as Error).name).toBe('AbortError');
    expect(e).not.toBeInstanceOf(BerthError);
  });
});

describe('retries', () => {
  it('409 not_ready with Retry-After: waits that long, then succeeds', async () => {
    let calls = 0;
    fake.handle((_req, res) =>
      ++calls === 1 ? apiError(res, 409, 'not_ready', { retryAfter: '1' }) : json(res, 200, view('ws_1')),
    );
    const t0 = performance.now();
    const w = await fake.client().workspaces.get('ws_1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(w.id).toBe('ws_1');
    expect(calls).toBe(2);
  });

  it('exec is retried on not_ready (nothing ran) with the same body', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    const w = await fake.client().workspaces.get('ws_1');
    fake.requests.length = 0;
    let calls = 0;
    fake.handle((_req, res) =>
      ++calls <= 2
        ? apiError(res, 409, 'not_ready', { retryAfter: '0' })
        : json(res, 200, {
            exitCode: 0,
            signal: null,
            stdout: 'hi\n',
            stderr: '',
            durationMs: 1,
            timedOut: false,
            truncated: false,
          }),
    );
    expect((await w.commands.run(['echo', 'hi'])).stdout).toBe('hi\n');
    expect(fake.requests.map((r) => r.json)).toEqual(Array(3).fill({ cmd: ['echo', 'hi'] }));
  });

  it('exec is never retried on 503 or 429: it might have run', async () => {
    fake.handle((_req, res) => json(res, 200, view('ws_1')));
    const w = await fake.client().workspaces.get('ws_1');
    fake.requests.length = 0;
    fake.handle((_req, res) => apiError(res, 503, 'capacity', { retryAfter: '0' }));
    expect(await caught(w.commands.run(['echo']))).toMatchObject({ status: 503, code: 'capacity' });
    fake.handle((_req, res) => apiError(res, 429, 'throttled', { retryAfter: '0' }));
    expect(await caught(w.commands.run(['echo']))).toMatchObject({ status: 429 });
    expect(fake.requests).toHaveLength(2);
  });

  it('idempotent calls are retried on 429 and 503, up to maxRetries, then the last error is thrown', async () => {
    let calls = 0;
    fake.handle((_req, res) =>
      ++calls === 1
        ? apiError(res, 429, 'throttled', { retryAfter: '0' })
        : apiError(res, 503, 'capacity', { retryAfter: '0' }),
    );
    const e = await caught(fake.client({ maxRetries: 3 }).workspaces.create({ conversationId: 'c' }));
    expect(e).toMatchObject({ status: 503, code: 'capacity', retryAfterSeconds: 0 });
    expect(calls).toBe(4);
  });

  it('never retries a 400 (or any other error)', async () => {
    fake.handle((_req, res) => apiError(res, 400, 'invalid_request', { retryAfter: '0' }));
    expect(await caught(fake.client().workspaces.create({ conversationId: 'bad id' }))).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    fake.handle((_req, res) => apiError(res, 409, 'workspace_paused'));
    await caught(fake.client().workspaces.get('ws_1'));
    expect(fake.requests).toHaveLength(2);
  });

  it('maxRetries: 0 turns retries off', async () => {
    fake.handle((_req, res) => apiError(res, 409, 'not_ready', { retryAfter: '0' }));
    expect(await caught(fake.client({ maxRetries: 0 }).workspaces.get('ws_1'))).toMatchObject({
      code: 'not_ready',
    });
    expect(fake.requests).toHaveLength(1);
  });
});

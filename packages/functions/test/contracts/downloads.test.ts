import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { WorkspaceAgentError, acquireWorkspace, type WorkspaceAgentTarget } from '@berth/core';
import {
  BUFFERED_BODY_LIMITS,
  apiRoutes,
  createApiHandler,
  StaticTenantResolver,
  type ApiEvent,
} from '@berth/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDeps } from '../../../core/test/support/make-deps.js';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { KEY_A, makeApi, quietObservability, type Answer, type TestAppDeps } from '../support/app.js';

const MiB = 1024 * 1024;

/** `total` zero bytes made as they are pulled (never all in memory); `pulled` says how far a reader got. */
function zeros(total: number) {
  const chunk = Buffer.alloc(MiB);
  let made = 0;
  const stream = new Readable({
    read() {
      if (made >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - made);
      made += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
  return Object.assign(stream, { pulled: () => made });
}

/** A file of `size` bytes whose body the agent sends as `body`. */
function agentServes(deps: TestAppDeps, body: Readable, size: number) {
  deps.workspaceAgent.readFile = async (_t: WorkspaceAgentTarget, _p: string) => ({
    kind: 'file',
    body,
    size,
  });
}

function expectError(res: Answer, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json?.error?.code }).toEqual({ status, code });
  expect(res.json).toEqual({
    error: { code, message: expect.any(String), requestId: res.event.requestContext.requestId },
  });
}

async function readyWorkspace(api: ReturnType<typeof makeApi>) {
  const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
  return res.json.id as string;
}

describe('downloads behind the buffered deployment (HTTP API, 6 MB responses)', () => {
  it('a file up to the limit comes back whole, base64-encoded', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const body = zeros(BUFFERED_BODY_LIMITS.bytes);
    agentServes(api.deps, body, BUFFERED_BODY_LIMITS.bytes);
    const res = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'z.bin' } });
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.body, 'base64').length).toBe(BUFFERED_BODY_LIMITS.bytes);
  });

  it('a bigger file is 413 pointing to the streaming endpoint, and is not read at all', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const body = zeros(600 * MiB);
    agentServes(api.deps, body, 600 * MiB);
    const res = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'big.bin' } });
    expectError(res, 413, 'payload_too_large');
    expect(res.json.error.message).toMatch(/streaming endpoint/);
    expect(body.pulled()).toBe(0);
    expect(body.destroyed).toBe(true);
  });

  it('an agent sending more than the length it declared is cut at the limit (413), not collected', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const body = zeros(600 * MiB);
    agentServes(api.deps, body, 10); // lies
    const res = await api.call('GET', `/v1/workspaces/${id}/files`, { query: { path: 'liar.bin' } });
    expectError(res, 413, 'payload_too_large');
    expect(body.pulled()).toBeLessThanOrEqual(BUFFERED_BODY_LIMITS.bytes + 2 * MiB);
  });

  it('binary stdout over the limit is 413 too', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const stdout = zeros(64 * MiB);
    api.deps.workspaceAgent.runBinaryCommand = async () => ({
      exitCode: 0,
      timedOut: false,
      durationMs: 1,
      stdout,
      size: 64 * MiB,
    });
    const res = await api.call('POST', `/v1/workspaces/${id}/exec/binary`, { body: { cmd: ['cat', 'x'] } });
    expectError(res, 413, 'payload_too_large');
    expect(stdout.pulled()).toBe(0);
  });

  it('an endless event stream is collected up to the text limit, then 413', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    const body = zeros(Number.MAX_SAFE_INTEGER);
    api.deps.workspaceAgent.streamCommand = async () => ({
      status: 200,
      contentType: 'text/event-stream',
      body,
    });
    const res = await api.call('POST', `/v1/workspaces/${id}/exec`, {
      body: { cmd: ['yes'] },
      headers: { accept: 'text/event-stream' },
    });
    expectError(res, 413, 'payload_too_large');
    expect(body.pulled()).toBeLessThanOrEqual(BUFFERED_BODY_LIMITS.text + 2 * MiB);
    expect(body.destroyed).toBe(true);
  });
});

describe('agent answers past what Berth reads into memory', () => {
  it('are 422 unprocessable in API.md shape (answer_too_large from the agent client)', async () => {
    const api = makeApi();
    const id = await readyWorkspace(api);
    api.deps.workspaceAgent.onCommand = () => {
      throw new WorkspaceAgentError(
        502,
        'answer_too_large',
        "the workspace agent's answer to POST /exec is over 16 bytes",
      );
    };
    const res = await api.call('POST', `/v1/workspaces/${id}/exec`, { body: { cmd: ['yes'] } });
    expectError(res, 422, 'unprocessable');
    expect(res.json.error.message).toMatch(/over 16 bytes/);
  });
});

describe('downloads behind the streaming deployment (function URL)', () => {
  type Runtime = { streamifyResponse?: unknown; HttpResponseStream?: unknown };
  const g = globalThis as { awslambda?: Runtime };
  const saved = g.awslambda;
  afterEach(() => {
    g.awslambda = saved;
  });

  function streamingApi() {
    g.awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: { from: (s: Writable, meta: unknown) => Object.assign(s, { meta }) },
    };
    const deps: TestAppDeps = Object.assign(makeDeps(), {
      tenants: StaticTenantResolver.parse(`tenantA:${KEY_A}`),
    });
    const handler = createApiHandler(() => deps, {
      routes: apiRoutes,
      streaming: true,
      observability: quietObservability(),
    }) as unknown as (event: ApiEvent, stream: Writable, ctx: unknown) => Promise<void>;
    return { deps, handler };
  }

  it('a 1 GiB file goes out raw with its content-length, chunk by chunk, memory flat', async () => {
    const { deps, handler } = streamingApi();
    const ws = (await acquireWorkspace(deps, { tenantId: 'tenantA', conversationId: 'c1' })).workspace;
    const size = 1024 * MiB;
    agentServes(deps, zeros(size), size);
    const hash = createHash('sha256');
    let received = 0;
    let peakRss = 0;
    const response = new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        received += chunk.length;
        if (received % (64 * MiB) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
        cb();
      },
    });
    const rssBefore = process.memoryUsage().rss;
    const event = apiEvent('GET', `/v1/workspaces/${ws.id}/files`, {
      query: { path: 'big.bin' },
      headers: { authorization: `Bearer ${KEY_A}` },
    });
    await handler(event, response, lambdaContext());
    const meta = (response as Writable & { meta?: Record<string, unknown> }).meta;
    expect(meta).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    expect(received).toBe(size);
    expect(hash.digest('hex')).toBe(zeroHash(size));
    expect(peakRss - rssBefore).toBeLessThan(100 * MiB);
  });
});

function zeroHash(size: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= chunk.length) hash.update(chunk.subarray(0, Math.min(left, MiB)));
  return hash.digest('hex');
}

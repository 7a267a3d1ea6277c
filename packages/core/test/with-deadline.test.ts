import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  METRIC,
  VersionConflictError,
  WriteThroughCache,
  loadBerthConfig,
  storeWithDeadlines,
  withDeadlines,
  type MetricName,
} from '@berth/core';
import { MemoryWorkspaceStore } from './support/memory-store.js';
import { makeDeps, recordingLogger, seedWorkspace } from './support/make-deps.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const never = () => new Promise<never>(() => {});

/** A port with a private field (so `this` must stay the real object) and calls of every shape. */
class Port {
  readonly kind = 'test';
  #calls = 0;
  async fast(x: number) {
    this.#calls++;
    return x * 2;
  }
  stall() {
    return never();
  }
  async failLate(): Promise<void> {
    await sleep(300);
    throw new Error('late failure');
  }
  async conflict(): Promise<void> {
    throw new VersionConflictError('ws_1');
  }
  /** Resolves at once to a stream that takes its time. */
  async download(): Promise<Readable> {
    return Readable.from(
      (async function* () {
        for (let i = 0; i < 5; i++) {
          await sleep(30);
          yield Buffer.from('x');
        }
      })(),
    );
  }
  /** Consumes `body` at `msPerChunk`; never finishes if `stopAfter` chunks were taken. */
  async upload(body: Readable, msPerChunk: number, stopAfter = Infinity): Promise<number> {
    let n = 0;
    await pipeline(
      body,
      new Writable({
        highWaterMark: 1, // takes the next chunk only when done with this one
        write(_chunk, _enc, cb) {
          n++;
          if (n >= stopAfter) return; // stalls: never calls back
          setTimeout(cb, msPerChunk);
        },
      }),
    );
    return n;
  }
  sync() {
    return this.#calls;
  }
}

function observed() {
  const { log, lines } = recordingLogger();
  const counted: MetricName[] = [];
  return { log, lines, counted, metrics: { count: (n: MetricName) => counted.push(n), duration() {} } };
}

describe('withDeadlines', () => {
  it('passes answers, errors, properties and sync results through, with `this` the real object', async () => {
    const port = withDeadlines(new Port(), { dependency: 'test', timeoutMs: 50 });
    expect(port.kind).toBe('test');
    expect(await port.fast(21)).toBe(42);
    expect(port.sync()).toBe(1);
    await expect(port.conflict()).rejects.toBeInstanceOf(VersionConflictError);
    expect(port).toBeInstanceOf(Port);
  });

  it('a stalled call fails within its deadline with 503 unavailable and Retry-After, logged and counted', async () => {
    const o = observed();
    const port = withDeadlines(new Port(), { dependency: 'store', timeoutMs: 60, ...o });
    const started = performance.now();
    const e = (await port.stall().catch((err: unknown) => err)) as ApiError;
    const took = performance.now() - started;
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'unavailable', status: 503, details: { retryAfterSeconds: 2 } });
    expect(e.message).toContain('store');
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(1000);
    expect(o.lines).toEqual([
      {
        level: 'warn',
        message: 'dependency call past its deadline',
        attributes: { dependency: 'store', method: 'stall', timeoutMs: 60 },
      },
    ]);
    expect(o.counted).toEqual([METRIC.DependencyUnavailable]);
  });

  it('per-method deadlines; a late failure after the deadline is dropped (no unhandled rejection)', async () => {
    const port = withDeadlines(new Port(), { dependency: 'test', timeoutMs: 20, methods: { fast: 1000 } });
    await expect(port.failLate()).rejects.toMatchObject({ code: 'unavailable' });
    await sleep(400); // the late rejection happens here, and must go nowhere
    expect(await port.fast(1)).toBe(2);
  });

  it('a method answering a stream is bounded to the stream start, not its reading', async () => {
    const port = withDeadlines(new Port(), { dependency: 'blobs', timeoutMs: 50 });
    const body = await port.download();
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('xxxxx'); // 150 ms of reading, past the 50 ms deadline
  });

  it('an upload runs as long as it moves, and fails (source destroyed) once it stops moving', async () => {
    const port = withDeadlines(new Port(), { dependency: 'blobs', timeoutMs: 250 });
    const moving = Readable.from(Array.from({ length: 12 }, () => Buffer.alloc(1024)));
    // 600 ms in all, more than twice the deadline, but never 250 ms without taking a chunk.
    expect(await port.upload(moving, 50)).toBe(12);

    const source = new PassThrough();
    for (let i = 0; i < 8; i++) source.write(Buffer.alloc(1024));
    const e = await port.upload(source, 10, 3).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'unavailable' });
    await sleep(10);
    expect(source.destroyed).toBe(true);
  });
});

describe('withDeadlines: failures and late answers', () => {
  it('a refused connection is the same 503; other failures pass through as they are', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const port = withDeadlines(
      {
        refuse: async () => Promise.reject(refused),
        conflict: async () => Promise.reject(new VersionConflictError('ws_1')),
        throttled: async () => Promise.reject(Object.assign(new Error('slow down'), { name: 'Throttled' })),
      },
      { dependency: 'store', timeoutMs: 1000, unavailableWhen: (e) => (e as Error).name === 'Throttled' },
    );
    await expect(port.conflict()).rejects.toBeInstanceOf(VersionConflictError);
    await expect(port.throttled()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    // A custom rule replaces the default one: ECONNREFUSED is then the caller's business.
    await expect(port.refuse()).rejects.toBe(refused);
    const byDefault = withDeadlines(
      { refuse: async () => Promise.reject(refused) },
      { dependency: 'runtime', timeoutMs: 1000 },
    );
    await expect(byDefault.refuse()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('a stream that arrives after the deadline is destroyed, not leaked', async () => {
    const late = new PassThrough();
    const port = withDeadlines(
      { open: async () => sleep(300).then(() => ({ body: late })) },
      { dependency: 'blobs', timeoutMs: 20 },
    );
    await expect(port.open()).rejects.toMatchObject({ code: 'unavailable' });
    await sleep(400);
    expect(late.destroyed).toBe(true);
  });
});

describe('store deadlines in front of the local write-through cache', () => {
  it('a stalled store answers 503 quickly; records the cache holds are still served', async () => {
    const deps = makeDeps();
    const ws = seedWorkspace(deps);
    const inner = new MemoryWorkspaceStore();
    inner.seed(ws);
    const config = loadBerthConfig({ deadlines: { storeMs: 50 } });
    const cache = new WriteThroughCache(storeWithDeadlines(inner, config));
    const now = Date.now();
    expect((await cache.get(ws.id, { now }))?.id).toBe(ws.id);
    // Stall every read and write of the inner store.
    inner.get = never;
    inner.list = never;
    inner.update = never;
    expect((await cache.get(ws.id, { now }))?.id).toBe(ws.id);
    await expect(cache.list({ tenantId: 't1', limit: 10, now })).rejects.toMatchObject({
      code: 'unavailable',
    });
    await expect(cache.update(ws.id, ws.version, { lastActiveAt: now })).rejects.toMatchObject({
      status: 503,
    });
  });
});

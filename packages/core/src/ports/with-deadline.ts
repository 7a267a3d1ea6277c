import { Readable, Transform, pipeline } from 'node:stream';
import { ApiError } from '../errors.js';
import { METRIC } from '../observability/metric-names.js';
import { streamsIn } from '../streams-in.js';
import type { ServiceLogger, ServiceMetrics } from '../services/deps.js';

export interface DeadlineOptions {
  /** What the port is, in logs and errors: `store`, `blobs`, `runtime`. */
  dependency: string;
  /** Deadline of each call, ms. */
  timeoutMs: number;
  /** Per-method deadlines that differ from `timeoutMs` (e.g. starting a container). */
  methods?: Readonly<Record<string, number>>;
  /** Retry-After of the 503 a call past its deadline answers. Default 2 s. */
  retryAfterSeconds?: number;
  /**
   * Which failures of the dependency mean "not reachable now" (a refused or timed-out connection, a throttle,
   * a 5xx): those become the same 503 `unavailable` as a missed deadline. Default: Node's connection errors.
   * Anything else (a conditional write that lost, a bad request) passes through as it is.
   */
  unavailableWhen?: (e: unknown) => boolean;
  log?: ServiceLogger;
  metrics?: ServiceMetrics;
}

/** The error of a dependency call past its deadline: 503 `unavailable` with Retry-After (API.md). */
export const dependencyTimeout = (dependency: string, method: string, ms: number, retryAfterSeconds = 2) =>
  new ApiError('unavailable', `the ${dependency} did not answer in time (${method}, ${ms} ms); retry`, {
    retryAfterSeconds,
  });

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Node's errors of a connection that could not be made or was cut. */
export const isConnectionError = (e: unknown): boolean =>
  CONNECTION_ERRORS.has(String((e as { code?: unknown } | null)?.code));

/**
 * `port` with a deadline on every method call that returns a promise: past it, the call rejects with a 503
 * `unavailable` (and is logged and counted), whatever the dependency is doing, so a stalled store, blob store
 * or container runtime is a quick error, never a hang. The late answer, if any, is dropped.
 *
 * - A method that resolves to a stream is bounded until the stream starts (the promise resolves); reading it
 *   is the caller's business.
 * - A call given a Node stream (an upload) is bounded by progress instead: the deadline restarts with every
 *   chunk the dependency takes from it, so a large transfer may run as long as it moves.
 */
export function withDeadlines<T extends object>(port: T, opts: DeadlineOptions): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop === 'symbol') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        const ms = opts.methods?.[prop] ?? opts.timeoutMs;
        fn = (...args: unknown[]) => callWithDeadline(target, method, prop, args, ms, opts);
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

function callWithDeadline(
  target: object,
  method: (...args: unknown[]) => unknown,
  name: string,
  args: unknown[],
  ms: number,
  opts: DeadlineOptions,
): unknown {
  let timer: NodeJS.Timeout | undefined;
  let expire: (() => void) | undefined;
  let settled = false;
  let expired = false;
  const arm = () => {
    clearTimeout(timer);
    if (settled) return;
    timer = setTimeout(() => expire?.(), ms);
    timer.unref();
  };
  // Uploads: hand the dependency a relay that re-arms the deadline whenever it takes bytes.
  const relays: ProgressRelay[] = [];
  const callArgs = args.map((a) => {
    if (!(a instanceof Readable)) return a;
    const relay = new ProgressRelay(arm);
    pipeline(a, relay, () => {});
    relays.push(relay);
    return relay;
  });
  const result = method.apply(target, callArgs);
  if (!isPromise(result)) return result;
  return new Promise((resolve, reject) => {
    expire = () => {
      settled = expired = true;
      const error = dependencyTimeout(opts.dependency, name, ms, opts.retryAfterSeconds);
      opts.log?.warn('dependency call past its deadline', {
        dependency: opts.dependency,
        method: name,
        timeoutMs: ms,
      });
      opts.metrics?.count(METRIC.DependencyUnavailable);
      for (const r of relays) r.destroy(error);
      reject(error);
    };
    arm();
    const settle = () => {
      settled = true;
      clearTimeout(timer);
    };
    result.then(
      (v) => {
        settle();
        // Too late: nobody will read a stream it brought, so it must not hold a file or socket open.
        if (expired) for (const s of streamsIn(v)) s.destroy();
        else resolve(v);
      },
      (e: unknown) => {
        settle();
        if (expired) return;
        if (!(opts.unavailableWhen ?? isConnectionError)(e)) return reject(e);
        opts.log?.warn('dependency unreachable', {
          dependency: opts.dependency,
          method: name,
          error: String(e),
        });
        opts.metrics?.count(METRIC.DependencyUnavailable);
        reject(
          new ApiError('unavailable', `the ${opts.dependency} is not reachable now (${name}); retry`, {
            retryAfterSeconds: opts.retryAfterSeconds ?? 2,
            cause: e,
          }),
        );
      },
    );
  });
}

/**
 * A pass-through that reports every chunk its reader takes. Every way of reading a stream (pipe, flowing
 * mode, async iteration) goes through `read()`, so progress is what the dependency consumed, not what was
 * buffered for it.
 */
class ProgressRelay extends Transform {
  constructor(private readonly onProgress: () => void) {
    super();
  }
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (e?: Error | null, c?: Buffer) => void,
  ) {
    callback(null, chunk);
  }
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    if (chunk !== null) this.onProgress();
    return chunk;
  }
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

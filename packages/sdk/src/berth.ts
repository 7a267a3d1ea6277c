import type { HealthReport, PoolState } from '@berth/protocol/client';
import { callOptions, type CallOptions } from './http/call-options.js';
import type { FetchLike } from './http/transport.js';
import { Transport } from './http/transport.js';
import { Workspaces } from './workspaces/workspaces.js';

export interface BerthOptions {
  /** The API's base URL: the API Gateway URL, or `http://127.0.0.1:8787` locally. */
  baseUrl: string;
  /** A tenant's API key; every call sends it as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /**
   * Extra attempts after an answer that asks to try again: `not_ready` (nothing ran), 429 and 503, after
   * their `Retry-After`. Commands and agent runs are retried only on `not_ready`. Default 2.
   */
  maxRetries?: number;
  /**
   * Per attempt, until the answer is read (for streams: until it starts); expiry is `BerthTimeoutError`.
   * Any call's own `timeoutMs` replaces it for that call. 0 disables. Default 120000.
   */
  timeoutMs?: number;
}

export type { HealthReport };

/** `GET /v1/pool`: the warm pool of each template. */
export type PoolReport = PoolState;

/**
 * The Berth client. `berth.workspaces` finds, creates and addresses workspaces (by id, without a request:
 * `handle(id)`); a workspace handle then offers `commands`, `files`, `agent` and `egress`. Every call
 * takes `{ signal, timeoutMs }` as its last argument.
 */
export class Berth {
  readonly workspaces: Workspaces;
  readonly #http: Transport;

  constructor(options: BerthOptions) {
    if (!options.baseUrl) throw new TypeError('Berth: baseUrl is required');
    if (!options.apiKey) throw new TypeError('Berth: apiKey is required');
    const fetchFn = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#http = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      fetch: fetchFn,
      maxRetries: Math.max(0, options.maxRetries ?? 2),
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    this.workspaces = new Workspaces(this.#http);
  }

  /** `GET /health`: the service and its components; a degraded service answers too (not thrown). */
  health(options?: CallOptions): Promise<HealthReport> {
    return this.#http.json({
      method: 'GET',
      path: '/health',
      retry: 'safe',
      okStatuses: [503],
      ...callOptions(options),
    });
  }

  /** `GET /v1/pool`: the warm pool per template. */
  pool(options?: CallOptions): Promise<PoolReport> {
    return this.#http.json({ method: 'GET', path: '/v1/pool', retry: 'safe', ...callOptions(options) });
  }
}

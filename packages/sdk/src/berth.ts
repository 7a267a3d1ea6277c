import type { HealthReport, PoolState } from '@berth/protocol/client';
import { callOptions, type CallOptions } from './http/call-options.js';
import type { FetchLike } from './http/transport.js';
import { Transport } from './http/transport.js';
import { DEFAULT_MAX_RETRY_WAIT_MS } from './http/retry.js';
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
   * their `Retry-After`. Commands and agent runs are retried only on `not_ready`. Any call's own
   * `maxRetries` replaces it for that call. 0 turns retries off. Default 2.
   */
  maxRetries?: number;
  /**
   * `maxRetries` for `workspaces.create`, which is safe to repeat (one workspace per conversation) and is
   * the call Berth's admission control refuses: `429 quota_exceeded` (the tenant's live workspaces at its
   * quota) and `503 capacity` / `unavailable`, each with `Retry-After`. 0 turns it off. Default: `maxRetries`
   * when that is given, else 4.
   */
  createMaxRetries?: number;
  /**
   * The longest wait between two attempts: a longer `Retry-After` is waited only this long before trying
   * again. Without `Retry-After`, the wait is an exponential backoff with jitter (0.5 s, 1 s, 2 s... up to
   * 8 s). Default 30000.
   */
  maxRetryWaitMs?: number;
  /**
   * Until the answer is read (for streams: until it starts), retries and the waits between them included;
   * expiry is `BerthTimeoutError`. Any call's own `timeoutMs` replaces it for that call. 0 disables.
   * Default 120000.
   */
  timeoutMs?: number;
}

export type { HealthReport };

/** `GET /v1/pool`: the warm pool of each template. */
export type PoolReport = PoolState;

/**
 * The Berth client. `berth.workspaces` finds, creates and addresses workspaces (by id, without a request:
 * `handle(id)`); a workspace handle then offers `commands`, `files`, `agent` and `egress`. Every call
 * takes `{ signal, timeoutMs, maxRetries }` as its last argument.
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
      maxRetryWaitMs: Math.max(0, options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS),
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    this.workspaces = new Workspaces(
      this.#http,
      Math.max(0, options.createMaxRetries ?? options.maxRetries ?? 4),
    );
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

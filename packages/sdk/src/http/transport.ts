import { BerthApiError, BerthConnectionError, BerthError, codeForStatus } from '../errors.js';
import { attemptSignal, abortableSleep, type AttemptSignal } from './abort.js';
import type { CallOptions } from './call-options.js';
import { parseRetryAfter, retryDelayMs, shouldRetry, type RetryPolicy } from './retry.js';

/** The part of `fetch` the SDK uses; pass your own (a proxy agent, a test double) to `new Berth`. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  maxRetries: number;
  /** The longest wait between two attempts, whatever `Retry-After` asks. */
  maxRetryWaitMs: number;
  timeoutMs: number | undefined;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** One API call, as the capability classes describe it; `signal` and `timeoutMs` are the caller's. */
export interface Call extends CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with its ids already URL-encoded (see `segment`). */
  path: string;
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as raw bytes (`application/octet-stream`). */
  bytes?: Uint8Array<ArrayBuffer>;
  accept?: string;
  retry: RetryPolicy;
  /** Statuses besides 2xx that carry a regular answer (health's 503 report). */
  okStatuses?: number[];
}

/** A successful answer whose body is still unread; `release()` once done with it (closes a stream). */
export interface Answer {
  response: Response;
  release(): void;
}

/** A path segment (a workspace id): ids are opaque, so never trust them to be URL-safe. */
export const segment = (value: string) => encodeURIComponent(value);

/** Auth, JSON, API.md's error shape, retries and timeouts: everything every call shares. */
export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  /**
   * Sends the call, retrying per its policy. The timeout covers the wait for the answer's headers, retries
   * and their waits included: a wait that would end past it is not started, and the last answer's error is
   * thrown instead. Callers that read a whole body keep it running through `read` so a stalled body times
   * out too.
   */
  async send(call: Call): Promise<Answer & { attempt: AttemptSignal }> {
    const limitMs = this.#timeoutMs(call);
    const deadline = limitMs === undefined ? undefined : Date.now() + limitMs;
    const maxRetries = Math.max(0, call.maxRetries ?? this.#options.maxRetries);
    for (let attempt = 0; ; attempt++) {
      // At least 1 ms: a timer of 0 would mean no timeout at all.
      const left = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
      const signal = attemptSignal(call.signal, left, limitMs);
      let response: Response;
      try {
        response = await this.#options.fetch(this.#url(call), this.#init(call, signal.signal));
      } catch (e) {
        signal.release();
        throw this.#fetchFailure(e, call.signal, signal);
      }
      if (response.ok || call.okStatuses?.includes(response.status))
        return { response, release: () => signal.release(), attempt: signal };
      const error = await readApiError(response).finally(() => signal.release());
      if (attempt >= maxRetries || !shouldRetry(error, call.retry)) throw error;
      const delay = retryDelayMs(error, attempt, this.#options.maxRetryWaitMs);
      if (deadline !== undefined && Date.now() + delay >= deadline) throw error;
      await abortableSleep(delay, call.signal);
    }
  }

  /** A stream: no timeout once the headers are in; `release()` ends it. */
  async open(call: Call): Promise<Answer> {
    const answer = await this.send(call);
    answer.attempt.stopTimer();
    return answer;
  }

  /** Reads the whole body within the timeout, mapping a cut connection to BerthConnectionError. */
  async read<T>(call: Call, body: (response: Response) => Promise<T>): Promise<T> {
    const answer = await this.send(call);
    try {
      return await body(answer.response);
    } catch (e) {
      if (e instanceof BerthError) throw e;
      throw this.#fetchFailure(e, call.signal, answer.attempt);
    } finally {
      answer.release();
    }
  }

  json<T>(call: Call): Promise<T> {
    return this.read(call, async (r) => {
      const text = await r.text();
      try {
        return JSON.parse(text) as T;
      } catch (e) {
        throw new BerthError(
          `${call.method} ${call.path} answered ${r.status} with a body that is not JSON`,
          {
            cause: e,
          },
        );
      }
    });
  }

  async none(call: Call): Promise<void> {
    await this.read(call, (r) => r.arrayBuffer());
  }

  /**
   * A request to a presigned URL (object storage, not Berth): no API key (the URL carries its signature), no
   * retries, no client timeout (a large transfer takes as long as it takes); the caller's `signal` and
   * `timeoutMs` apply. A non-2xx answer is a BerthError with the storage's status and words.
   */
  async presigned(
    url: string,
    init: { method: 'PUT' | 'GET'; headers: Record<string, string>; body?: BodyInit },
    options: CallOptions,
  ): Promise<Answer> {
    const signal = attemptSignal(options.signal, options.timeoutMs || undefined);
    let response: Response;
    try {
      response = await this.#options.fetch(url, { ...init, signal: signal.signal });
    } catch (e) {
      signal.release();
      throw this.#fetchFailure(e, options.signal, signal);
    }
    if (response.ok) return { response, release: () => signal.release() };
    const text = await response.text().catch(() => '');
    signal.release();
    throw new BerthError(
      `${init.method} of a presigned URL answered ${response.status}: ${text.slice(0, 300)}`,
    );
  }

  /** The call's own limit, else the client's; 0 (or none) means no timeout. */
  #timeoutMs(call: Call): number | undefined {
    const ms = call.timeoutMs ?? this.#options.timeoutMs;
    return ms !== undefined && ms > 0 ? ms : undefined;
  }

  #url(call: Call): string {
    const url = `${this.#options.baseUrl}${call.path}`;
    // encodeURIComponent, not URLSearchParams: a space as %20, never `+`, which some gateways keep as is.
    const qs = Object.entries(call.query ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return qs ? `${url}?${qs}` : url;
  }

  #init(call: Call, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#options.apiKey}`,
      accept: call.accept ?? 'application/json',
    };
    let body: BodyInit | undefined;
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    } else if (call.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = call.bytes;
    }
    return { method: call.method, headers, body, signal };
  }

  /** The caller's own abort stays an AbortError; our timeout and network trouble become SDK errors. */
  #fetchFailure(e: unknown, user: AbortSignal | undefined, signal: AttemptSignal): unknown {
    if (user?.aborted) return user.reason;
    if (signal.timedOut) return signal.signal.reason; // the BerthTimeoutError it was aborted with
    const detail = e instanceof Error ? e.message : String(e);
    return new BerthConnectionError(`request to Berth failed: ${detail}`, { cause: e });
  }
}

/** API.md's `{"error":{code,message,requestId}}`; anything else (a proxy's HTML page) is mapped by status. */
export async function readApiError(response: Response): Promise<BerthApiError> {
  const text = await response.text().catch(() => '');
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const headerRequestId =
    response.headers.get('x-request-id') ??
    response.headers.get('apigw-requestid') ??
    response.headers.get('x-amzn-requestid') ??
    undefined;
  const body = parseErrorBody(text);
  if (body) {
    return new BerthApiError({
      status: response.status,
      code: body.code,
      message: body.message,
      requestId: body.requestId ?? headerRequestId,
      retryAfterSeconds,
    });
  }
  const snippet = text.trim().slice(0, 200);
  return new BerthApiError({
    status: response.status,
    code: codeForStatus(response.status),
    message: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
    requestId: headerRequestId,
    retryAfterSeconds,
  });
}

function parseErrorBody(text: string): { code: string; message: string; requestId?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (value as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (!error || typeof error !== 'object' || typeof error.code !== 'string') return undefined;
  return {
    code: error.code,
    message: typeof error.message === 'string' ? error.message : error.code,
    ...(typeof error.requestId === 'string' ? { requestId: error.requestId } : {}),
  };
}

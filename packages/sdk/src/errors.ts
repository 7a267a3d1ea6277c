/**
 * The error codes of the public API (API.md "Errors"). A newer server may send a code this SDK does not know
 * yet; it is passed through as is, so the type stays open while keeping autocompletion for the known ones.
 */
export type KnownErrorCode =
  | 'invalid_request' // 400
  | 'invalid_json' // 400
  | 'invalid_path' // 400
  | 'unauthorized' // 401
  | 'not_found' // 404 (also another tenant's workspace)
  | 'conflict' // 409
  | 'not_ready' // 409: still provisioning; nothing ran, safe to retry
  | 'workspace_paused' // 409
  | 'workspace_ended' // 409
  | 'container_lost' // 409: create the workspace again to get a fresh one with its files
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'unprocessable' // 422
  | 'throttled' // 429
  | 'capacity' // 503
  | 'provision_failed' // 503
  | 'unavailable' // 503: a dependency of Berth did not answer in time; retry after Retry-After
  | 'internal'; // 500, or any answer that is not API.md's error shape

// `string & {}` keeps the literal members visible to editors instead of collapsing the union to `string`.
export type BerthErrorCode = KnownErrorCode | (string & {});

/** Base of every error this SDK throws: `catch (e) { if (e instanceof BerthError) ... }`. */
export class BerthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthError';
  }
}

/** The API answered with an error status. */
export class BerthApiError extends BerthError {
  readonly status: number;
  readonly code: BerthErrorCode;
  /** Quote it when reporting a problem: it names the request in Berth's logs. */
  readonly requestId: string | undefined;
  /** From `Retry-After` (429, 503, `not_ready`...): when trying again makes sense. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: BerthErrorCode;
    message: string;
    requestId?: string | undefined;
    retryAfterSeconds?: number | undefined;
  }) {
    super(init.message);
    this.name = 'BerthApiError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** No answer: the connection failed, was cut mid-answer, or a stream ended before its final event. */
export class BerthConnectionError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthConnectionError';
  }
}

/** No answer within the client's `timeoutMs`. */
export class BerthTimeoutError extends BerthConnectionError {
  constructor(readonly timeoutMs: number) {
    super(`no answer from Berth within ${timeoutMs} ms`);
    this.name = 'BerthTimeoutError';
  }
}

/** What a status means when the body is not API.md's error shape (a proxy's 502 page, say). */
export function codeForStatus(status: number): KnownErrorCode {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'unprocessable';
    case 429:
      return 'throttled';
    case 503:
      return 'capacity';
    default:
      return 'internal';
  }
}

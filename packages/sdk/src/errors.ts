import { ERROR_STATUS, type ErrorCode } from '@berth/protocol/client';

/**
 * The error codes of the public API (API.md "Errors", the protocol's `ERROR_STATUS`): `not_ready` means
 * nothing ran and is safe to retry; `container_lost`, create the workspace again; `unavailable`, retry after
 * Retry-After. `quota_exceeded` (429: the tenant holds its quota of live workspaces) and `capacity` (503: no
 * container start free soon) are admission refusals of a create: nothing was created, and `workspaces.create`
 * tries again after Retry-After. A newer server may send a code this SDK does not know yet; it is passed
 * through as is, so the type stays open while keeping autocompletion for the known ones.
 */
export type KnownErrorCode = ErrorCode;

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

/**
 * The first code of each status in the protocol's table: the general one (409 `conflict`, 429 `throttled`, 503
 * `capacity`). A bare 429 is API Gateway's throttling, never a quota: `quota_exceeded` always comes with its body.
 */
const CODE_OF_STATUS = new Map<number, KnownErrorCode>();
for (const [code, status] of Object.entries(ERROR_STATUS) as [KnownErrorCode, number][]) {
  if (!CODE_OF_STATUS.has(status)) CODE_OF_STATUS.set(status, code);
}

/** What a status means when the body is not API.md's error shape (a proxy's 502 page, say). */
export function codeForStatus(status: number): KnownErrorCode {
  return CODE_OF_STATUS.get(status) ?? 'internal';
}

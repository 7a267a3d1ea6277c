/**
 * Every error the public API can answer with (API.md "Errors"). A code maps to exactly one HTTP status,
 * so handlers never decide statuses themselves.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_path: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  not_ready: 409,
  workspace_paused: 409,
  workspace_ended: 409,
  container_lost: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  throttled: 429,
  capacity: 503,
  provision_failed: 503,
  /** A dependency (store, blob store, container runtime) did not answer in time: retry after Retry-After. */
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class BerthError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'BerthError';
    this.status = ERROR_STATUS[code];
  }
}

export const isBerthError = (e: unknown): e is BerthError => e instanceof BerthError;

export const invalidRequest = (message: string) => new BerthError('invalid_request', message);
export const invalidPath = (message: string) => new BerthError('invalid_path', message);
export const notFound = (what = 'workspace') => new BerthError('not_found', `${what} not found`);
export const containerLost = (id: string, reason: string | null) =>
  new BerthError(
    'container_lost',
    `the container of workspace ${id} is gone (${reason ?? 'unknown'}); create the workspace again to get a fresh one with its files restored`,
  );

/** Thrown by a store when a conditional write loses a race. Services retry or turn it into `conflict`. */
export class VersionConflictError extends Error {
  constructor(readonly workspaceId: string) {
    super(`workspace ${workspaceId} changed concurrently`);
    this.name = 'VersionConflictError';
  }
}

import { ERROR_STATUS, type ErrorCode } from '@berth/protocol';

/**
 * Every error the public API can answer with is @berth/protocol's ERROR_STATUS (API.md "Errors"): a code maps
 * to exactly one HTTP status, so handlers never decide statuses themselves.
 */
export { ERROR_STATUS, type ErrorCode } from '@berth/protocol';

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

export const invalidRequest = (message: string) => new ApiError('invalid_request', message);
export const invalidPath = (message: string) => new ApiError('invalid_path', message);
export const notFound = (what = 'workspace') => new ApiError('not_found', `${what} not found`);
export const containerLost = (id: string, reason: string | null) =>
  new ApiError(
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

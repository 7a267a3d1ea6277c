/**
 * Every error the public API can answer with (API.md "Errors"). A code maps to exactly one HTTP status, so
 * handlers never decide statuses themselves; clients and the OpenAPI document read the same table.
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
  /** A tenant holds as many live workspaces as its quota allows (Retry-After: when one may have ended). */
  quota_exceeded: 429,
  capacity: 503,
  provision_failed: 503,
  /** A dependency (store, blob store, container runtime) did not answer in time: retry after Retry-After. */
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of every error answer: `{"error":{"code","message","requestId"}}`, never a stack trace. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; requestId: string };
}

import type { AgentErrorBody, AgentErrorCode } from '@berth/protocol';

const STATUS: Record<AgentErrorCode, number> = {
  invalid_request: 400,
  invalid_path: 400,
  unauthorized: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  no_space: 507,
};

/** File system errors that are the workspace's state, not the agent's bugs. */
const ERRNO: Record<string, AgentErrorCode> = {
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  EROFS: 'permission_denied',
  ENOSPC: 'no_space',
  EDQUOT: 'no_space',
  ENOENT: 'not_found', // vanished between the check and the use
  ENOTDIR: 'invalid_path',
  EISDIR: 'invalid_path',
  EEXIST: 'invalid_path',
  ENOTEMPTY: 'invalid_path',
  ENAMETOOLONG: 'invalid_path',
  ELOOP: 'invalid_path',
};

/** An error the client should see as-is: its code picks the status. */
export class AgentError extends Error {
  readonly status: number;
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
    this.status = STATUS[code];
  }

  toBody(): AgentErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const invalidRequest = (message: string) => new AgentError('invalid_request', message);
export const invalidPath = (message: string) => new AgentError('invalid_path', message);
export const notFound = (message: string) => new AgentError('not_found', message);

/**
 * File system errnos map to their codes; anything else is a bug: its details stay in the log and the client
 * gets a generic 500.
 */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  const code = errno ? ERRNO[errno] : undefined;
  if (code) {
    const syscall = (err as NodeJS.ErrnoException).syscall;
    return new AgentError(code, `file system error ${errno}${syscall ? ` (${syscall})` : ''}`);
  }
  return new AgentError('internal', 'internal error');
}

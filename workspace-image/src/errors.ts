import type { WorkspaceAgentErrorBody, WorkspaceAgentErrorCode } from '@berth/protocol';

const STATUS: Record<WorkspaceAgentErrorCode, number> = {
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
const ERRNO: Record<string, WorkspaceAgentErrorCode> = {
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
export class AgentHttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: WorkspaceAgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentHttpError';
    this.status = STATUS[code];
  }

  toBody(): WorkspaceAgentErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const agentInvalidRequest = (message: string) => new AgentHttpError('invalid_request', message);
export const agentInvalidPath = (message: string) => new AgentHttpError('invalid_path', message);
export const agentNotFound = (message: string) => new AgentHttpError('not_found', message);

/**
 * File system errnos map to their codes; anything else is a bug: its details stay in the log and the client
 * gets a generic 500.
 */
export function toAgentHttpError(err: unknown): AgentHttpError {
  if (err instanceof AgentHttpError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  const code = errno ? ERRNO[errno] : undefined;
  if (code) {
    const syscall = (err as NodeJS.ErrnoException).syscall;
    return new AgentHttpError(code, `file system error ${errno}${syscall ? ` (${syscall})` : ''}`);
  }
  return new AgentHttpError('internal', 'internal error');
}

import { describe, expect, it } from 'vitest';
import { AgentHttpError, toAgentHttpError } from '../src/errors.js';

const errno = (code: string, syscall = 'open') => Object.assign(new Error(`${code}: x`), { code, syscall });

describe('toAgentHttpError', () => {
  it.each([
    ['EACCES', 403, 'permission_denied'],
    ['EROFS', 403, 'permission_denied'],
    ['ENOSPC', 507, 'no_space'],
    ['ENOENT', 404, 'not_found'],
    ['ENOTDIR', 400, 'invalid_path'],
  ])('maps %s to %i %s', (code, status, name) => {
    const e = toAgentHttpError(errno(code));
    expect(e.status).toBe(status);
    expect(e.code).toBe(name);
    expect(e.message).toBe(`file system error ${code} (open)`);
  });

  it('keeps AgentErrors and hides anything else behind a generic 500', () => {
    const mine = new AgentHttpError('invalid_request', 'bad');
    expect(toAgentHttpError(mine)).toBe(mine);
    const bug = toAgentHttpError(new TypeError('secret detail /workspace/x'));
    expect(bug.status).toBe(500);
    expect(bug.toBody()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError, toWorkspaceRelative } from '@berth/core';

const ROOT = '/workspace';

function refusal(path: unknown): ApiError {
  try {
    toWorkspaceRelative(ROOT, path);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error(`${JSON.stringify(path)} was accepted`);
}

describe('toWorkspaceRelative', () => {
  it.each([
    ['../../etc/passwd'],
    ['/etc/passwd'],
    ['/workspace/../etc'],
    ['/workspace/../workspace-other/x'],
    ['/workspacefoo'],
    ['..'],
    ['a/../../b'],
    ['/'],
  ])('refuses %j with invalid_path (400)', (path) => {
    const e = refusal(path);
    expect(e.code).toBe('invalid_path');
    expect(e.status).toBe(400);
  });

  it('refuses a NUL byte, an empty path, a missing path and one over 4096 characters', () => {
    expect(refusal('a\0b').message).toMatch(/NUL/);
    expect(refusal('').code).toBe('invalid_path');
    expect(refusal(undefined).code).toBe('invalid_path');
    expect(refusal(42).code).toBe('invalid_path');
    expect(refusal('a'.repeat(4097)).message).toMatch(/too long/);
  });

  it('accepts a path of exactly 4096 characters', () => {
    expect(toWorkspaceRelative(ROOT, 'a'.repeat(4096))).toBe('a'.repeat(4096));
  });

  it.each([
    ['/workspace', '.'],
    ['/workspace/', '.'],
    ['.', '.'],
    ['a/b/../c', 'a/c'],
    ['/workspace/a/./b', 'a/b'],
    ['src/main.ts', 'src/main.ts'],
    ['/workspace/dir/', 'dir'],
    ['a//b', 'a/b'],
    ['..foo', '..foo'],
  ])('maps %j to %j', (input, expected) => {
    expect(toWorkspaceRelative(ROOT, input)).toBe(expected);
  });
});

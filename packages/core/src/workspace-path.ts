import { posix } from 'node:path';
import { invalidPath } from './errors.js';

/**
 * Turns a client's file path into one relative to the workspace root, refusing anything that would leave
 * it. The agent checks again against the real file system (symlinks); this check answers 400 early and
 * keeps junk away from the agent.
 */
export function toWorkspaceRelative(root: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidPath('path is required');
  if (path.length > 4096) throw invalidPath('path is too long');
  if (path.includes('\0')) throw invalidPath('path contains a NUL byte');
  const abs = posix.isAbsolute(path) ? posix.normalize(path) : posix.normalize(posix.join(root, path));
  if (abs !== root && !abs.startsWith(root.endsWith('/') ? root : `${root}/`)) {
    throw invalidPath(`path must stay under ${root}`);
  }
  return posix.relative(root, abs) || '.';
}

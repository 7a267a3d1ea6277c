import type { Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { agentInvalidPath, agentNotFound } from '../errors.js';

/**
 * Confines client paths to the workspace directory.
 *
 * Lexical checks (NUL, `..`, absolute paths elsewhere) come first; then every existing component is
 * resolved with realpath so a symlink inside the workspace cannot lead out of it. Workspace processes run
 * as the agent's uid, so this guards the API's contract rather than a privilege boundary: a check-then-use
 * race is possible in principle and would give a process nothing it could not do itself.
 */
export interface WorkspaceRoot {
  /** As configured and as clients name it (e.g. /workspace). */
  root: string;
  /** realpath of root. */
  realRoot: string;
}

export async function openWorkspaceRoot(root: string): Promise<WorkspaceRoot> {
  const trimmed = root.length > 1 ? root.replace(/\/+$/, '') : root;
  return { root: trimmed, realRoot: await realpath(trimmed) };
}

export function isInside(ws: WorkspaceRoot, real: string): boolean {
  if (ws.realRoot === '/') return true;
  return real === ws.realRoot || real.startsWith(`${ws.realRoot}/`);
}

/** Lexical part: the path's components relative to the root. `''`, `.` and `/workspace` mean the root. */
export function toComponents(ws: WorkspaceRoot, input: string): string[] {
  if (input.includes('\0')) throw agentInvalidPath('path contains a NUL byte');
  if (input.length > 4096) throw agentInvalidPath('path is too long');
  let rel = input;
  if (rel.startsWith('/')) {
    const base = [ws.root, ws.realRoot].find((r) => rel === r || rel.startsWith(r === '/' ? '/' : `${r}/`));
    if (base === undefined) throw agentInvalidPath(`path must be under ${ws.root}`);
    rel = rel.slice(base.length);
  }
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw agentInvalidPath('path must not contain ".."');
  return parts;
}

export const relOf = (parts: string[]) => (parts.length === 0 ? '.' : parts.join('/'));

/**
 * Checks the first `count` components: each existing one must resolve inside the root and all but the last
 * must be directories. Returns how many exist (the walk stops at the first missing one).
 */
async function checkPrefixes(ws: WorkspaceRoot, parts: string[], count: number): Promise<number> {
  for (let i = 1; i <= count; i++) {
    const p = join(ws.realRoot, ...parts.slice(0, i));
    const st = await lstatOrNull(p);
    if (!st) return i - 1;
    let isDir = st.isDirectory();
    if (st.isSymbolicLink()) {
      const real = await realpathOrNull(p);
      if (real === null || !isInside(ws, real)) {
        throw agentInvalidPath(
          `${relOf(parts.slice(0, i))} is a symlink that dangles or leads outside the workspace`,
        );
      }
      isDir = (await lstat(real)).isDirectory();
    }
    if (!isDir && i < parts.length) throw agentInvalidPath(`${relOf(parts.slice(0, i))} is not a directory`);
  }
  return count;
}

/** For reads: the real path of an existing target inside the root; 404 if missing. */
export async function resolveExisting(
  ws: WorkspaceRoot,
  input: string,
): Promise<{ rel: string; real: string }> {
  const parts = toComponents(ws, input);
  const existing = await checkPrefixes(ws, parts, parts.length);
  if (existing < parts.length) throw agentNotFound(`${relOf(parts)} does not exist`);
  const real = await realpath(join(ws.realRoot, ...parts));
  if (!isInside(ws, real)) throw agentInvalidPath('path leads outside the workspace via a symlink');
  return { rel: relOf(parts), real };
}

/**
 * For writes and deletes: the parent chain is checked like a read; the last component is never followed,
 * so the caller gets its lstat (null if missing) and acts on the name itself.
 */
export async function resolveEntry(
  ws: WorkspaceRoot,
  input: string,
): Promise<{ parts: string[]; rel: string; abs: string; lstat: Stats | null }> {
  const parts = toComponents(ws, input);
  if (parts.length === 0) return { parts, rel: '.', abs: ws.realRoot, lstat: await lstat(ws.realRoot) };
  const existing = await checkPrefixes(ws, parts, parts.length - 1);
  const abs = join(ws.realRoot, ...parts);
  const st = existing === parts.length - 1 ? await lstatOrNull(abs) : null;
  return { parts, rel: relOf(parts), abs, lstat: st };
}

export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ELOOP') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { agentInvalidRequest } from '../errors.js';
import type { ChangesResponse } from '@berth/protocol';
import type { WorkspaceRoot } from './safe-path.js';

/**
 * File timestamps come from the kernel's coarse clock, which can lag Date.now() by a few ms: the cursor is
 * set this far before the walk started so a write racing the walk is never missed (it may be reported
 * twice instead).
 */
const CURSOR_SAFETY_MS = 1000;
/** Snapshots kept for `deleted`; older cursors still work but answer `deletedKnown: false`. */
const SNAPSHOTS_KEPT = 4;
/** Temporary files of atomic writes (file-routes) are not changes. */
const TEMP_FILE = /^\..*\.berth-[0-9a-f]+\.tmp$/;

/**
 * "What changed since cursor X" over a tree walk, no watcher: a file or symlink is changed when
 * max(mtime, ctime) is after the cursor time (ctime also catches `mv`, `touch -d` and tar's restored
 * mtimes). Deletions come from comparing with the path set recorded when the cursor was handed out, kept in
 * memory for the last few cursors.
 */
export class ChangeLog {
  private readonly snapshots = new Map<string, Set<string>>();
  private seq = 0;

  constructor(private readonly ws: WorkspaceRoot) {}

  async since(cursor: string | undefined): Promise<ChangesResponse> {
    const sinceMs = cursor === undefined ? Number.NEGATIVE_INFINITY : parseCursor(cursor);
    const walkStart = Date.now();
    const current = new Set<string>();
    const changed: string[] = [];
    await this.walk(this.ws.realRoot, '', sinceMs, current, changed);

    const previous = cursor === undefined ? new Set<string>() : this.snapshots.get(cursor);
    const deleted = previous ? [...previous].filter((p) => !current.has(p)) : [];
    const next = `${walkStart - CURSOR_SAFETY_MS}-${++this.seq}`;
    this.snapshots.set(next, current);
    while (this.snapshots.size > SNAPSHOTS_KEPT) {
      this.snapshots.delete(this.snapshots.keys().next().value as string);
    }
    return {
      cursor: next,
      changed: changed.sort(),
      deleted: deleted.sort(),
      deletedKnown: previous !== undefined,
    };
  }

  private async walk(dir: string, rel: string, sinceMs: number, seen: Set<string>, changed: string[]) {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable while walking: nothing to report from it
    }
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        await this.walk(abs, path, sinceMs, seen, changed);
        continue;
      }
      if (TEMP_FILE.test(e.name)) continue;
      const st = await lstat(abs).catch(() => null);
      if (!st || st.isDirectory()) continue;
      seen.add(path);
      if (Math.max(st.mtimeMs, st.ctimeMs) > sinceMs) changed.push(path);
    }
  }
}

/** Cursors are `<ms>-<seq>` as handed out; a bare ms timestamp is accepted too. */
function parseCursor(cursor: string): number {
  const m = /^(\d{1,16})(?:-\d{1,12})?$/.exec(cursor);
  if (!m) throw agentInvalidRequest('since must be a cursor returned by /files/changes or a ms timestamp');
  return Number(m[1]);
}

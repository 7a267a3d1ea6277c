import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isTerminal, type ServiceDeps, type WorkspaceRecord } from '@berth/core';

/**
 * Host dirs (and disk images) of workspaces that have ended. A workspace's files outlive its container so a
 * dead one can be salvaged into its snapshot; once the workspace is ended for good its files live in that
 * snapshot, and keeping the image would make every workspace ever created a permanent cost on the host's
 * disk. Dirs of ended (or forgotten) workspaces without a container are removed once they have been seen so
 * for `graceMs` (the time a task-state event and its salvage may still be on their way) — but only where the
 * files are known to be in the snapshot (see filesAreSaved): the dirs of an `orphan` are its only copy.
 */
export class EndedWorkspaceDirs {
  /** workspace id → when it was first seen ended, with no container. */
  private readonly endedSince = new Map<string, number>();

  constructor(
    private readonly opts: {
      workspacesDir: string;
      deps: Pick<ServiceDeps, 'store' | 'runtime' | 'clock' | 'log'>;
      remove: (workspaceId: string) => Promise<void>;
      graceMs: number;
    },
  ) {}

  /** One pass (the sweep timer runs it): returns the ids whose dirs were removed. */
  async collect(): Promise<string[]> {
    const { deps, graceMs } = this.opts;
    const now = deps.clock.now();
    const ids = (await readdir(this.opts.workspacesDir).catch(() => [] as string[])).filter(
      (name) => !name.startsWith('.'), // Berth's own (spare disks), not a workspace
    );
    const withContainer = new Set(
      (await deps.runtime.list()).map((t) => t.workspaceId).filter((id): id is string => id !== null),
    );
    const removed: string[] = [];
    for (const id of ids) {
      const ws = await deps.store.get(id, { now, includeExpired: true });
      if ((ws && !filesAreSaved(ws)) || withContainer.has(id)) {
        this.endedSince.delete(id);
        continue;
      }
      const since = this.endedSince.get(id) ?? now;
      this.endedSince.set(id, since);
      if (now - since < graceMs) continue;
      try {
        await this.opts.remove(id);
        this.endedSince.delete(id);
        removed.push(id);
        deps.log.info('ended workspace: host dirs removed', {
          workspaceId: id,
          status: ws?.status ?? 'gone',
        });
      } catch (e) {
        deps.log.warn('ended workspace: removing its host dirs failed', {
          workspaceId: id,
          dir: path.join(this.opts.workspacesDir, id),
          error: String(e),
        });
      }
    }
    for (const id of this.endedSince.keys()) if (!ids.includes(id)) this.endedSince.delete(id);
    return removed;
  }
}

/**
 * Whether an ended workspace's files are in its conversation's snapshot (or never were its own): stopped
 * (synced before its container went), failed while provisioning (nothing of its own yet), or failed by a
 * task-state event or a request that found its container dead (salvaged from these very dirs first). Not an
 * `orphan` (its container died unseen, nothing salvaged it) nor one failed by the start-up check.
 */
export function filesAreSaved(ws: Pick<WorkspaceRecord, 'status' | 'terminationReason'>): boolean {
  if (!isTerminal(ws.status)) return false;
  if (ws.status === 'stopped') return true;
  const reason = ws.terminationReason ?? '';
  return reason !== 'orphan' && !reason.startsWith('task_stopped:host_check_failed');
}

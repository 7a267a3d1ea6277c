import { endWorkspace, type ServiceDeps, type ServiceLogger, type TerminationReason } from '@berth/core';
import type { EgressRuntime } from '../egress/egress-runtime.js';
import type { DockerRuntime } from '../runtime/docker-runtime.js';
import { workspaceDirs } from '../runtime/paths.js';

/** A running workspace that failed its start-up check, and why. */
export interface UnsoundWorkspace {
  workspaceId: string;
  taskRef: string;
  reason: TerminationReason;
}

/**
 * At start, each workspace container of this host that is still running (Berth restarted, or the machine and
 * Docker with it) gets its dirs checked — its disk mounted again if needed — and its egress proxy back. Each
 * on its own: one whose dirs are not what Berth made (a workspace that tampered with them, a dir from an older
 * layout) is returned to be failed, and the rest are served. Never throws for one workspace.
 */
export async function reattachLiveWorkspaces(
  runtime: DockerRuntime,
  egress: EgressRuntime | null,
  log: ServiceLogger,
): Promise<UnsoundWorkspace[]> {
  const live = (await runtime.list()).filter(
    (t): t is typeof t & { workspaceId: string } =>
      t.workspaceId !== null && t.state !== 'stopped' && t.state !== 'missing',
  );
  const unsound: UnsoundWorkspace[] = [];
  // Disks of workspaces whose container is gone (removed while Berth was down) must not stay mounted.
  const released = await runtime.releaseIdleDisks(new Set(live.map((t) => t.workspaceId)));
  if (released.length)
    log.info('unmounted the disks of workspaces without a container', { workspaceIds: released });
  await Promise.all(
    live.map(async ({ taskRef, workspaceId }) => {
      try {
        await runtime.checkWorkspaceDirs(workspaceId);
        await egress?.reattach({ taskRef, workspaceId });
      } catch (e) {
        const reason = unsoundReason(runtime.stateDir, workspaceId, e);
        log.error('workspace failed its start-up check', { workspaceId, taskRef, terminationReason: reason });
        unsound.push({ workspaceId, taskRef, reason });
      }
    }),
  );
  return unsound;
}

/**
 * Ends each unsound workspace with its reason (which stops its container); a container whose record is gone
 * or already ended is stopped all the same.
 */
export async function failUnsoundWorkspaces(deps: ServiceDeps, unsound: UnsoundWorkspace[]): Promise<void> {
  await Promise.all(
    unsound.map(async ({ workspaceId, taskRef, reason }) => {
      try {
        await endWorkspace(deps, workspaceId, 'failed', reason).catch((e: unknown) => {
          deps.log.warn('no live record for an unsound workspace; stopping its container', {
            workspaceId,
            error: String(e),
          });
        });
        await deps.runtime.stop(taskRef, reason);
      } catch (e) {
        deps.log.error('stopping an unsound workspace failed', { workspaceId, taskRef, error: String(e) });
      }
    }),
  );
}

/** The reason as the API shows it: host paths made relative to the workspace's dir, bounded. */
function unsoundReason(stateDir: string, workspaceId: string, e: unknown): TerminationReason {
  let detail = e instanceof Error ? e.message : String(e);
  try {
    detail = detail.split(`${workspaceDirs(stateDir, workspaceId).root}/`).join('');
  } catch {
    // an id that is no path segment: the message names no dir of ours
  }
  return `task_stopped:host_check_failed: ${detail}`.slice(0, 200) as TerminationReason;
}

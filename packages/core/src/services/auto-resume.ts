import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from './deps.js';
import { resumeWorkspace } from './pause-resume.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/** Resumes in flight in this process, by workspace id: concurrent calls on one paused workspace share one. */
const resuming = new Map<string, Promise<WorkspaceRecord>>();

/**
 * The workspace as a call to its agent needs it: a paused one is resumed first (the same conditional path as
 * `POST .../resume`), since using a workspace means wanting it running. A hibernated one (ECS) starts again and
 * is waited for until ready (or `waitForReadyMs` is spent: then `provisioning`, which `readyEndpoint` answers
 * with a retry); one still saving its files answers `conflict` with a retry. Every other state is returned as
 * is, for `readyEndpoint` to answer.
 */
export async function ensureReady(deps: ServiceDeps, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  if (ws.status !== 'paused') return ws;
  let inFlight = resuming.get(ws.id);
  if (!inFlight) {
    inFlight = autoResume(deps, ws).finally(() => resuming.delete(ws.id));
    resuming.set(ws.id, inFlight);
  }
  return inFlight;
}

async function autoResume(deps: ServiceDeps, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  try {
    const resumed = await resumeWorkspace(deps, ws.tenantId, ws.id);
    deps.log.info('workspace auto-resumed', {
      workspaceId: ws.id,
      tenantId: ws.tenantId,
      conversationId: ws.conversationId,
    });
    return resumed;
  } catch (e) {
    // A race lost to another resume (another process, or `POST .../resume`), a pause, a stop: whatever the
    // workspace is now decides. Still paused means the runtime refused, and its answer is the caller's.
    const fresh = await getOwnedWorkspace(deps, ws.tenantId, ws.id);
    if (fresh.status === 'paused') throw e;
    return fresh;
  }
}

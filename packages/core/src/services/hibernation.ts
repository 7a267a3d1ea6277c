import { ApiError } from '../errors.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import type { ServiceDeps } from './deps.js';
import { waitUntilSettled } from './wait-until-settled.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/**
 * Pause and resume where the runtime cannot freeze a task (ECS, `runtime.freezes` false): the workspace
 * hibernates. Its files are saved to the blob store (as a stop saves them), its task is stopped, and the
 * record stays `paused` with neither task nor endpoint. Resuming starts the same workspace afresh: paused →
 * provisioning, and the provisioning state machine starts a task, waits for its agent and restores the files
 * (StartContainer → … → RestoreFiles → MarkReady).
 *
 * Why a fresh start rather than claiming a warm pool member: a member's agent accepts only tokens signed for
 * its own workspace id (its task was started with it; protocol agent-token.ts), so it cannot serve this
 * workspace. Handing this workspace a member (the member's agent taking a new identity) is the faster
 * variant, left for later.
 *
 * While it hibernates the record is `paused` with its task still set and a `deadlineAt` (a stop's budget):
 * no call reaches the agent any more (one that would resume it is told to retry). The save and the stop are
 * handed to the stopper (finish-hibernation.ts), which undoes the pause if the files cannot be saved before
 * that deadline; past it, the hibernation was interrupted and the next pause or resume hands it over again.
 */
export async function hibernateWorkspace(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
): Promise<WorkspaceRecord> {
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  if (ws.status === 'paused') return interrupted(deps, ws) ? handOver(deps, ws) : ws;
  if (ws.status !== 'ready' || !ws.taskRef || !ws.endpoint) {
    throw new ApiError('conflict', `workspace ${id} is ${ws.status}; only a ready workspace can be paused`);
  }
  const taskRef = ws.taskRef;
  const now = deps.clock.now();
  const deadlineAt = now + deps.config.stoppingDeadlineMs;
  // The record says paused before anything is saved: from here no call reaches the agent, so the snapshot
  // is the workspace's last state.
  const { record: hibernating, changed } = await conditionalUpdate(deps, id, (fresh) =>
    fresh.status === 'ready' && fresh.taskRef === taskRef
      ? { status: 'paused', deadlineAt, lastActiveAt: now }
      : null,
  );
  if (!changed) {
    if (hibernating.status === 'paused') return hibernating;
    throw new ApiError(
      'conflict',
      `workspace ${id} is ${hibernating.status}; only a ready workspace can be paused`,
    );
  }
  deps.log.info('workspace hibernating', ids(hibernating));
  return handOver(deps, hibernating);
}

/**
 * Starts a hibernated workspace again (paused → provisioning, a new provisioning deadline); answers it ready,
 * or as it is once `waitForReadyMs` is spent (`provisioning`), like a create. `wait: false` answers at once.
 */
export async function wakeWorkspace(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  opts: { wait?: boolean } = {},
): Promise<WorkspaceRecord> {
  const settle = (ws: WorkspaceRecord) => (opts.wait === false ? ws : waitUntilSettled(deps, ws));
  let ws = await getOwnedWorkspace(deps, tenantId, id);
  // Already on its way (another resume got there first, or it is still starting) or back.
  if (ws.status === 'ready' || ws.status === 'provisioning') return settle(ws);
  if (ws.status !== 'paused') {
    throw new ApiError('conflict', `workspace ${id} is ${ws.status}; only a paused workspace can be resumed`);
  }
  if (ws.taskRef !== null) {
    if (!interrupted(deps, ws)) {
      throw new ApiError('conflict', `workspace ${id} is still pausing (saving its files); retry`, {
        retryAfterSeconds: 1,
      });
    }
    ws = await handOver(deps, ws);
    if (ws.status !== 'paused' || ws.taskRef !== null) {
      throw new ApiError(
        'conflict',
        `workspace ${id} is ${ws.status}; only a paused workspace can be resumed`,
      );
    }
  }
  const previous = ws;
  const now = deps.clock.now();
  // readyAt goes back to null: until RestoreFiles is done, a stop must not save this task's (empty or half
  // restored) files over the snapshot it is restoring (release.ts finishStop).
  const { record, changed } = await conditionalUpdate(deps, id, (fresh) =>
    fresh.status === 'paused' && fresh.taskRef === null
      ? {
          status: 'provisioning',
          deadlineAt: now + deps.config.provisioning.deadlineMs,
          readyAt: null,
          lastActiveAt: now,
        }
      : null,
  );
  if (!changed) {
    if (record.status === 'ready' || record.status === 'provisioning') return settle(record);
    throw new ApiError(
      'conflict',
      `workspace ${id} is ${record.status}; only a paused workspace can be resumed`,
    );
  }
  try {
    // Its own run: the execution and the task start are named apart from the first start's.
    await deps.provisioner.start({ workspaceId: id, run: record.version });
  } catch (e) {
    // Not started: hibernated again, exactly as before (unless something moved it meanwhile).
    await conditionalUpdate(deps, id, (fresh) =>
      fresh.version === record.version
        ? {
            status: 'paused',
            deadlineAt: null,
            readyAt: previous.readyAt,
            lastActiveAt: previous.lastActiveAt,
          }
        : null,
    );
    throw e;
  }
  deps.log.info('workspace resuming from hibernation', ids(record));
  return settle(record);
}

/** A hibernation whose starter is past its deadline (its process died): whoever comes next finishes it. */
export const interrupted = (deps: ServiceDeps, ws: WorkspaceRecord) =>
  ws.status === 'paused' &&
  ws.taskRef !== null &&
  (ws.deadlineAt === null || deps.clock.now() >= ws.deadlineAt);

/**
 * The save and the stop go to the stopper, as a stop's do (services/finish-hibernation.ts): deployed the stop
 * worker, so a large workspace's files are not saved inside an API request; in process, done by the answer.
 */
async function handOver(deps: ServiceDeps, ws: WorkspaceRecord): Promise<WorkspaceRecord> {
  return (await deps.stopper.handOver({ workspaceId: ws.id, tenantId: ws.tenantId })) ?? ws;
}

const ids = (ws: WorkspaceRecord) => ({
  workspaceId: ws.id,
  tenantId: ws.tenantId,
  conversationId: ws.conversationId,
});

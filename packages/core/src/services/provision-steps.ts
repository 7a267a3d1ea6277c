import { isTerminal } from '../model/lifecycle.js';
import { ApiError } from '../errors.js';
import type { ProvisionStepName } from '../provisioning/definition.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import { sleep, type ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { restoreFilesFromBlob } from './file-sync.js';
import { METRIC } from '../observability/metric-names.js';
import { isPoolMember } from '../pool/pool-member.js';
import { adoptMemberTask } from '../pool/adopt-member.js';

/**
 * The steps of the provisioning state machine (provisioning/definition.ts). Each takes and returns the
 * execution state; each throws an error whose `name` the state machine's Retry/Catch match on.
 */
export interface ProvisionState {
  workspaceId: string;
  taskRef?: string;
  /** A wait loop's check: whether what it waits for is there (the machine's Choice reads it). */
  ready?: boolean;
  /** How many checks the current wait loop made; the Choice gives up past its bound. */
  checks?: number;
  restored?: boolean;
  /** The conversation's previous workspace, still stopping when this one was created (ProvisionInput). */
  predecessorId?: string;
  /** Set by the state machine's Catch before MarkFailed. */
  error?: { Error?: string; Cause?: string };
  /** ProvisionInput.claimed: a claimed warm member, entered at RestoreFiles. */
  claimed?: boolean;
  /** ProvisionInput.run: a later start of the workspace (a resume after hibernation). */
  run?: number;
}

/** The workspace moved on (deleted, failed) while provisioning: stop without retrying. */
export class ProvisioningAbandoned extends Error {
  override name = 'ProvisioningAbandoned';
}
/** The provisioning deadline (the one the sweep enforces) passed: give up now, with the real cause logged. */
export class ProvisioningTimedOut extends Error {
  override name = 'ProvisioningTimedOut';
}
/** The task has no reachable endpoint and the state machine is out of checks. */
export class EndpointPending extends Error {
  override name = 'EndpointPending';
}
/** The agent did not answer /health and the state machine is out of checks. */
export class AgentNotHealthy extends Error {
  override name = 'AgentNotHealthy';
}
/** The task stopped before it was ready: no retry helps. */
export class TaskStoppedEarly extends Error {
  override name = 'TaskStoppedEarly';
}

async function provisioningRecord(deps: ServiceDeps, id: string): Promise<WorkspaceRecord> {
  const now = deps.clock.now();
  const ws = await deps.store.get(id, { now, includeExpired: true });
  if (!ws || ws.status !== 'provisioning') {
    throw new ProvisioningAbandoned(`workspace ${id} is ${ws?.status ?? 'gone'}`);
  }
  if (ws.deadlineAt !== null && now >= ws.deadlineAt) {
    throw new ProvisioningTimedOut(`provisioning deadline passed ${now - ws.deadlineAt} ms ago`);
  }
  return ws;
}

/**
 * One check of a wait loop: looks at once (a local container is there in milliseconds), then polls for at
 * most `budgetMs` before answering "not yet" — the state machine waits between checks, not the Lambda.
 */
async function check(
  deps: ServiceDeps,
  state: ProvisionState,
  budgetMs: number,
  isReady: () => Promise<boolean>,
): Promise<ProvisionState> {
  const until = deps.clock.now() + budgetMs;
  for (;;) {
    if (await isReady()) return { ...state, ready: true, checks: 0 };
    if (deps.clock.now() >= until) return { ...state, ready: false, checks: (state.checks ?? 0) + 1 };
    await sleep(deps.config.provisioning.pollIntervalMs);
  }
}

async function assertTaskAlive(deps: ServiceDeps, taskRef: string) {
  const task = await deps.runtime.describe(taskRef);
  if (task.state === 'stopped' || task.state === 'missing') {
    throw new TaskStoppedEarly(`task ${task.state}: ${task.stoppedReason ?? 'no reason given'}`);
  }
  return task;
}

export async function startContainerStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  if (ws.taskRef) return { ...state, taskRef: ws.taskRef }; // a retried step must not start a second task
  // A resume after hibernation (a later run) takes a warm pool member's task where the pool has one.
  if (state.run !== undefined) {
    const adopted = await adoptMemberTask(deps, ws);
    if (adopted?.taskRef) return { ...state, taskRef: adopted.taskRef };
  }
  const template = deps.config.templates[ws.template];
  if (!template) throw new ApiError('unprocessable', `unknown template ${ws.template}`);
  // Cold starts take turns (FIFO locally, the shared RunTask bucket deployed): in a burst the first to ask
  // starts first, and the engine is never asked for more than it can take.
  const release = await deps.startGate?.enter(ws.id);
  let taskRef: string;
  try {
    ({ taskRef } = await deps.runtime.start({
      workspaceId: ws.id,
      tenantId: ws.tenantId,
      template: ws.template,
      image: template.image,
      limits: {
        cpus: template.cpus,
        memoryMiB: template.memoryMiB,
        pids: template.pids,
        diskMiB: template.diskMiB,
      },
      // A resume's start is not the first one's: ECS would answer the first token with the first (stopped) task.
      ...(state.run !== undefined && { startToken: `${ws.id}-r${state.run}` }),
    }));
  } finally {
    release?.();
  }
  let recorded = false;
  try {
    const r = await conditionalUpdate(deps, ws.id, (fresh) =>
      fresh.status === 'provisioning' ? { taskRef } : null,
    );
    recorded = r.changed;
  } finally {
    // A task no record points at would leak: stop it if the workspace moved on meanwhile.
    if (!recorded) await deps.runtime.stop(taskRef, 'provision_abandoned');
  }
  if (!recorded) throw new ProvisioningAbandoned(`workspace ${ws.id} ended while its task started`);
  return { ...state, taskRef };
}

/** One check for the task's address (ECS: the ENI's private IP, known once the task runs); records it. */
export async function waitForEndpointStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  const taskRef = state.taskRef ?? ws.taskRef;
  if (!taskRef) throw new TaskStoppedEarly('no task was started');
  return check(deps, { ...state, taskRef }, deps.config.provisioning.endpointTimeoutMs, async () => {
    const task = await assertTaskAlive(deps, taskRef);
    if (!task.endpoint) return false;
    const endpoint = task.endpoint;
    await conditionalUpdate(deps, state.workspaceId, (fresh) => {
      if (fresh.status !== 'provisioning') throw new ProvisioningAbandoned(`workspace is ${fresh.status}`);
      return { endpoint };
    });
    return true;
  });
}

/**
 * One check of the agent's /health; the task is described first, so a dead task fails rather than waits.
 * Once the agent answers, the workspace's proxy is admitted (deployed: its sidecar gets its credential, without
 * which nothing leaves the task). A failed admission is a "not yet" like a silent agent, so the loop tries
 * again (the sidecar may start after the agent); handing the credential over twice does no harm.
 */
export async function waitForHealthyStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  const endpoint = ws.endpoint;
  if (!endpoint) throw new EndpointPending('endpoint not recorded');
  const taskRef = state.taskRef ?? ws.taskRef;
  if (taskRef) await assertTaskAlive(deps, taskRef);
  let admitError: unknown;
  const next = await check(deps, state, deps.config.provisioning.healthTimeoutMs, async () => {
    if (!(await deps.workspaceAgent.health(endpoint, 1000))) return false;
    // A warm pool member gets its way out when claimed (pool/claim.ts), never before.
    if (isPoolMember(ws)) return true;
    try {
      await deps.egress?.admit?.(ws);
      return true;
    } catch (e) {
      admitError = e;
      return false;
    }
  });
  // Once per check, not per poll: the last reason the proxy was not admitted.
  if (!next.ready && admitError !== undefined) {
    deps.log.warn('agent healthy, proxy not admitted yet', { workspaceId: ws.id, error: String(admitError) });
  }
  return next;
}

/**
 * One check that the conversation's previous workspace has ended: its stop saves the files this workspace
 * restores next (deployed, the stop worker does that while this one starts). Not yet: this workspace's
 * deadline moves out to the predecessor's, so the sweep does not fail a start that is only waiting. Past the
 * predecessor's own deadline its stop is stuck (the sweep ends it): go on with the last snapshot there is.
 */
export async function awaitPredecessorStep(
  deps: ServiceDeps,
  state: ProvisionState,
): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  const now = deps.clock.now();
  const previous = state.predecessorId
    ? await deps.store.get(state.predecessorId, { now, includeExpired: true })
    : null;
  if (!previous || isTerminal(previous.status)) return { ...state, ready: true, checks: 0 };
  const until = previous.deadlineAt ?? now;
  if (now >= until) {
    deps.log.warn('previous workspace still stopping past its deadline: restoring the last snapshot', {
      workspaceId: ws.id,
      tenantId: ws.tenantId,
      conversationId: ws.conversationId,
      predecessorId: previous.id,
    });
    return { ...state, ready: true, checks: 0 };
  }
  const deadline = until + deps.config.provisioning.deadlineMs;
  await conditionalUpdate(deps, ws.id, (fresh) =>
    fresh.status === 'provisioning' && (fresh.deadlineAt ?? 0) < deadline ? { deadlineAt: deadline } : null,
  );
  return { ...state, ready: false, checks: (state.checks ?? 0) + 1 };
}

export async function restoreFilesStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  // A warm pool member belongs to no conversation: its files come when it is claimed.
  if (isPoolMember(ws)) return { ...state, restored: false };
  return { ...state, restored: await restoreFilesFromBlob(deps, ws) };
}

export async function markReadyStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const now = deps.clock.now();
  // A warm member is frozen until claimed where the runtime can freeze (locally: no CPU while it waits).
  const member = await deps.store.get(state.workspaceId, { now, includeExpired: true });
  const freeze =
    member?.status === 'provisioning' &&
    isPoolMember(member) &&
    deps.config.pool.freezeWarm &&
    deps.runtime.freezes;
  if (freeze && member.taskRef) await deps.runtime.pause(member.taskRef);
  const { record, changed } = await conditionalUpdate(deps, state.workspaceId, (ws) => {
    // A retried attempt whose first try already wrote: done (failing now would stop a ready container).
    if (
      (ws.status === 'ready' || ws.status === 'paused') &&
      ws.readyAt !== null &&
      ws.taskRef === (state.taskRef ?? ws.taskRef)
    )
      return null;
    if (ws.status !== 'provisioning') throw new ProvisioningAbandoned(`workspace is ${ws.status}`);
    return { status: freeze ? 'paused' : 'ready', readyAt: now, deadlineAt: null, lastActiveAt: now };
  });
  if (!changed) return state;
  deps.metrics.duration(METRIC.ProvisionLatency, now - record.createdAt);
  deps.log.info('workspace ready', {
    workspaceId: record.id,
    tenantId: record.tenantId,
    conversationId: record.conversationId,
    provisionMs: now - record.createdAt,
  });
  return state;
}

/** Errors whose reason API.md names (`provision_failed:<reason>`); others keep their error name. */
const FAILURE_REASONS: Record<string, string> = {
  RestoreIncomplete: 'restore_incomplete',
  // The same reason the sweep gives when it finds the deadline passed first.
  ProvisioningTimedOut: 'timeout',
};

/** The `<why>` of `provision_failed:<why>` for an error name: API.md's name for it, else the name made safe. */
export const failureReason = (error: string) =>
  (FAILURE_REASONS[error] ?? error).replace(/[^A-Za-z0-9_.-]/g, '_');

/** The Catch of every step: the workspace fails with the step's error as reason and its task is stopped. */
export async function markFailedStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const why = failureReason(state.error?.Error ?? 'unknown');
  deps.metrics.count(METRIC.ProvisionFailed);
  deps.log.error('provisioning failed', {
    workspaceId: state.workspaceId,
    error: state.error?.Error,
    cause: state.error?.Cause,
  });
  const ws = await deps.store.get(state.workspaceId, { now: deps.clock.now(), includeExpired: true });
  if (ws?.status === 'provisioning') {
    await endWorkspace(deps, ws.id, 'failed', `provision_failed:${why}`);
  } else if (ws?.status === 'stopping') {
    // Deleted while provisioning: finish the delete rather than calling it a failure.
    await endWorkspace(deps, ws.id, 'stopped', ws.terminationReason ?? 'deleted');
  }
  const taskRef = state.taskRef ?? ws?.taskRef;
  // A workspace that made it to ready (the Catch fired after MarkReady wrote) keeps its container.
  const ownedByLive = (ws?.status === 'ready' || ws?.status === 'paused') && ws.taskRef === taskRef;
  if (taskRef && !ownedByLive) await deps.runtime.stop(taskRef, 'provision_failed');
  return state;
}

/** Each state of the provisioning state machine and the step that runs it (Lambda handlers, local runs, tests). */
export const PROVISION_STEP_FUNCTIONS: Record<
  ProvisionStepName,
  (deps: ServiceDeps, state: ProvisionState) => Promise<ProvisionState>
> = {
  StartContainer: startContainerStep,
  WaitForEndpoint: waitForEndpointStep,
  WaitForHealthy: waitForHealthyStep,
  AwaitPredecessor: awaitPredecessorStep,
  RestoreFiles: restoreFilesStep,
  MarkReady: markReadyStep,
  MarkFailed: markFailedStep,
};

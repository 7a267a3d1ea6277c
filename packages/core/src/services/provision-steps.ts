import { ApiError } from '../errors.js';
import type { ProvisionStepName } from '../provisioning/definition.js';
import type { WorkspaceRecord } from '../model/workspace.js';
import { conditionalUpdate } from './conditional-update.js';
import { sleep, type ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { restoreFilesFromBlob } from './file-sync.js';
import { METRIC } from '../observability/metric-names.js';

/**
 * The steps of the provisioning state machine (provisioning/definition.ts). Each takes and returns the
 * execution state; each throws an error whose `name` the state machine's Retry/Catch match on.
 */
export interface ProvisionState {
  workspaceId: string;
  taskRef?: string;
  restored?: boolean;
  /** Set by the state machine's Catch before MarkFailed. */
  error?: { Error?: string; Cause?: string };
}

/** The workspace moved on (deleted, failed) while provisioning: stop without retrying. */
export class ProvisioningAbandoned extends Error {
  override name = 'ProvisioningAbandoned';
}
/** The task has no reachable endpoint yet; the state machine retries. */
export class EndpointPending extends Error {
  override name = 'EndpointPending';
}
/** The agent did not answer /health in time; the state machine retries. */
export class AgentNotHealthy extends Error {
  override name = 'AgentNotHealthy';
}
/** The task stopped before it was ready: no retry helps. */
export class TaskStoppedEarly extends Error {
  override name = 'TaskStoppedEarly';
}

async function provisioningRecord(deps: ServiceDeps, id: string): Promise<WorkspaceRecord> {
  const ws = await deps.store.get(id, { now: deps.clock.now(), includeExpired: true });
  if (!ws || ws.status !== 'provisioning') {
    throw new ProvisioningAbandoned(`workspace ${id} is ${ws?.status ?? 'gone'}`);
  }
  return ws;
}

export async function startContainerStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  if (ws.taskRef) return { ...state, taskRef: ws.taskRef }; // a retried step must not start a second task
  const template = deps.config.templates[ws.template];
  if (!template) throw new ApiError('unprocessable', `unknown template ${ws.template}`);
  const { taskRef } = await deps.runtime.start({
    workspaceId: ws.id,
    tenantId: ws.tenantId,
    template: ws.template,
    image: template.image,
    agentToken: ws.agentToken,
    limits: {
      cpus: template.cpus,
      memoryMiB: template.memoryMiB,
      pids: template.pids,
      diskMiB: template.diskMiB,
    },
  });
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

export async function waitForEndpointStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const { endpointTimeoutMs, pollIntervalMs } = deps.config.provisioning;
  const until = deps.clock.now() + endpointTimeoutMs;
  const taskRef = state.taskRef;
  if (!taskRef) throw new TaskStoppedEarly('no task was started');
  for (;;) {
    const task = await deps.runtime.describe(taskRef);
    if (task.state === 'stopped' || task.state === 'missing') {
      throw new TaskStoppedEarly(`task ${task.state}: ${task.stoppedReason ?? 'no reason given'}`);
    }
    if (task.endpoint) {
      const endpoint = task.endpoint;
      await conditionalUpdate(deps, state.workspaceId, (ws) => {
        if (ws.status !== 'provisioning') throw new ProvisioningAbandoned(`workspace is ${ws.status}`);
        return { endpoint };
      });
      return state;
    }
    if (deps.clock.now() >= until) throw new EndpointPending(`no endpoint after ${endpointTimeoutMs} ms`);
    await sleep(pollIntervalMs);
  }
}

export async function waitForHealthyStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  if (!ws.endpoint) throw new EndpointPending('endpoint not recorded');
  const { healthTimeoutMs, pollIntervalMs } = deps.config.provisioning;
  const until = deps.clock.now() + healthTimeoutMs;
  for (let i = 0; ; i++) {
    if (await deps.workspaceAgent.health(ws.endpoint, 1000)) return state;
    if (deps.clock.now() >= until) throw new AgentNotHealthy(`agent not healthy after ${healthTimeoutMs} ms`);
    // Every few misses, make sure the task is still there rather than polling a corpse.
    if (i % 10 === 9 && ws.taskRef) {
      const task = await deps.runtime.describe(ws.taskRef);
      if (task.state === 'stopped' || task.state === 'missing') {
        throw new TaskStoppedEarly(`task ${task.state}: ${task.stoppedReason ?? 'no reason given'}`);
      }
    }
    await sleep(pollIntervalMs);
  }
}

export async function restoreFilesStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const ws = await provisioningRecord(deps, state.workspaceId);
  return { ...state, restored: await restoreFilesFromBlob(deps, ws) };
}

export async function markReadyStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const now = deps.clock.now();
  const { record, changed } = await conditionalUpdate(deps, state.workspaceId, (ws) => {
    // A retried attempt whose first try already wrote: done (failing now would stop a ready container).
    if (ws.status === 'ready' && ws.readyAt !== null && ws.taskRef === (state.taskRef ?? ws.taskRef))
      return null;
    if (ws.status !== 'provisioning') throw new ProvisioningAbandoned(`workspace is ${ws.status}`);
    return { status: 'ready', readyAt: now, deadlineAt: null, lastActiveAt: now };
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
const FAILURE_REASONS: Record<string, string> = { RestoreIncomplete: 'restore_incomplete' };

/** The Catch of every step: the workspace fails with the step's error as reason and its task is stopped. */
export async function markFailedStep(deps: ServiceDeps, state: ProvisionState): Promise<ProvisionState> {
  const error = state.error?.Error ?? 'unknown';
  const why = (FAILURE_REASONS[error] ?? error).replace(/[^A-Za-z0-9_.-]/g, '_');
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
  RestoreFiles: restoreFilesStep,
  MarkReady: markReadyStep,
  MarkFailed: markFailedStep,
};

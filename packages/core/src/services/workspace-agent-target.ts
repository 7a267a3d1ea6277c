import { finished } from 'node:stream';
import { WorkspaceAgentError, type WorkspaceAgentTarget } from '../ports/workspace-agent-client.js';
import { ApiError, containerLost } from '../errors.js';
import { agentIdOf, type AgentEndpoint, type WorkspaceRecord } from '../model/workspace.js';
import { streamsIn } from '../streams-in.js';
import type { ServiceDeps } from './deps.js';
import { endWorkspace } from './end-workspace.js';
import { followActivity } from './activity-heartbeat.js';
import { taskStoppedFromStatus } from './task-state.js';
import { terminationReasonFor } from '../model/task-stopped.js';
import { getOwnedWorkspace } from './workspace-queries.js';
import { ensureReady } from './auto-resume.js';

/**
 * The agent endpoint of a workspace that must be ready; clear 409s for every other state. Calls to the agent
 * go through `ensureReady` first, so only what does not resume (egress rules) still meets `workspace_paused`.
 */
export function readyEndpoint(ws: WorkspaceRecord): AgentEndpoint {
  switch (ws.status) {
    case 'ready':
      if (ws.endpoint) return ws.endpoint;
      break;
    case 'provisioning':
      throw new ApiError('not_ready', `workspace ${ws.id} is still provisioning`, { retryAfterSeconds: 1 });
    case 'paused':
      throw new ApiError('workspace_paused', `workspace ${ws.id} is paused; resume it first`);
    case 'failed':
      throw containerLost(ws.id, ws.terminationReason);
  }
  throw new ApiError('workspace_ended', `workspace ${ws.id} is ${ws.status}`);
}

/** How to reach the agent of a workspace that must be ready: its endpoint and a token signed for it. */
export function readyTarget(
  deps: Pick<ServiceDeps, 'agentTokens'>,
  ws: WorkspaceRecord,
): WorkspaceAgentTarget {
  return { endpoint: readyEndpoint(ws), token: deps.agentTokens.tokenFor(agentIdOf(ws)) };
}

/**
 * Runs a call against the agent. If the agent cannot be reached and its container is gone, the workspace is
 * failed with the container's reason and the caller gets `container_lost` at once, never a hang.
 */
export async function withWorkspaceAgent<T>(
  deps: ServiceDeps,
  ws: WorkspaceRecord,
  call: (target: WorkspaceAgentTarget) => Promise<T>,
): Promise<T> {
  const target = readyTarget(deps, ws);
  try {
    return await call(target);
  } catch (e) {
    if (!(e instanceof WorkspaceAgentError)) throw e;
    if (!e.unreachable) throw agentErrorToBerth(e);
    const task = ws.taskRef ? await deps.runtime.describe(ws.taskRef) : null;
    if (!task || task.state === 'stopped' || task.state === 'missing') {
      const reason =
        task?.state === 'stopped'
          ? terminationReasonFor(taskStoppedFromStatus(task))
          : 'task_stopped:missing';
      const ended = await endWorkspace(deps, ws.id, 'failed', reason);
      throw containerLost(ws.id, ended.terminationReason);
    }
    throw new ApiError('capacity', `workspace ${ws.id} agent is not answering; retry`, {
      retryAfterSeconds: 1,
    });
  }
}

/**
 * One call to the agent of a tenant's workspace, as exec, files and agent runs make it: the workspace must be
 * theirs and ready (a paused one is resumed on the way), a dead container becomes `container_lost`, and the call counts as activity for as long as
 * it lasts, which for an answer that is a stream (SSE, a file, binary stdout) is until that stream is over
 * (ended, failed, or destroyed because its client went away).
 */
export async function callWorkspaceAgent<T>(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  call: (target: WorkspaceAgentTarget) => Promise<T>,
): Promise<T> {
  const ws = await ensureReady(deps, await getOwnedWorkspace(deps, tenantId, id));
  const heartbeat = followActivity(deps, ws);
  let result: T;
  try {
    result = await withWorkspaceAgent(deps, ws, call);
  } catch (e) {
    heartbeat.end();
    throw e;
  }
  const stream = streamsIn(result).find((s) => !s.destroyed && !s.readableEnded);
  if (stream) finished(stream, () => heartbeat.end());
  else heartbeat.end();
  return result;
}

const PASS_THROUGH = new Set(['invalid_request', 'invalid_path', 'not_found', 'payload_too_large']);

/** The agent's 4xx answers keep their meaning; anything else from it is our bug. */
function agentErrorToBerth(e: WorkspaceAgentError): ApiError {
  if (PASS_THROUGH.has(e.code)) {
    return new ApiError(e.code as 'invalid_request', e.message);
  }
  // The agent answered more than the control plane reads into memory (WORKSPACE_AGENT_READ_LIMITS).
  if (e.code === 'answer_too_large') return new ApiError('unprocessable', e.message);
  if (e.status >= 400 && e.status < 500) return new ApiError('invalid_request', e.message);
  return new ApiError('internal', 'the workspace agent failed', { cause: e });
}

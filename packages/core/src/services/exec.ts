import type { CommandRequest } from '@berth/protocol';
import type { AgentStream, BinaryExecResult, ExecRequest, ExecResult } from '../ports/agent-client.js';
import { toWorkspaceRelative } from '../workspace-path.js';
import { callWorkspaceAgent } from './agent-target.js';
import type { ServiceDeps } from './deps.js';
import { METRIC } from '../observability/metric-names.js';

export type ExecInput = CommandRequest;

/** Normalizes an exec request: cwd confined to the workspace, timeout defaulted and capped. */
function toAgentRequest(deps: ServiceDeps, input: ExecInput): ExecRequest {
  const { exec, workspaceRoot } = deps.config;
  return {
    cmd: input.cmd,
    cwd: input.cwd === undefined ? undefined : toWorkspaceRelative(workspaceRoot, input.cwd),
    env: input.env,
    stdin: input.stdin,
    timeoutMs: Math.min(input.timeoutMs ?? exec.defaultTimeoutMs, exec.maxTimeoutMs),
  };
}

export async function execCommand(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: ExecInput,
): Promise<ExecResult> {
  const req = toAgentRequest(deps, input);
  const started = deps.clock.now();
  const result = await callWorkspaceAgent(deps, tenantId, id, (t) => deps.agent.exec(t, req));
  deps.metrics.duration(METRIC.ExecLatency, deps.clock.now() - started);
  return result;
}

/** Streams stdout/stderr as SSE from the agent, relayed as is (API.md exec with text/event-stream). */
export function execCommandStream(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: ExecInput,
  signal?: AbortSignal,
): Promise<AgentStream> {
  const req = toAgentRequest(deps, input);
  return callWorkspaceAgent(deps, tenantId, id, (t) => deps.agent.execStream(t, req, signal));
}

export function execCommandBinary(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: ExecInput,
): Promise<BinaryExecResult> {
  const req = toAgentRequest(deps, input);
  return callWorkspaceAgent(deps, tenantId, id, (t) => deps.agent.execBinary(t, req));
}

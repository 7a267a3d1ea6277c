import type { CommandRequest } from '@berth/protocol';
import type {
  AgentCommandRequest,
  BinaryCommandStream,
  CommandResult,
  WorkspaceAgentStream,
} from '../ports/workspace-agent-client.js';
import { toWorkspaceRelative } from '../workspace-path.js';
import { callWorkspaceAgent } from './workspace-agent-target.js';
import type { ServiceDeps } from './deps.js';
import { METRIC } from '../observability/metric-names.js';

/** Normalizes a command request: cwd confined to the workspace, timeout defaulted and capped. */
function toAgentRequest(deps: ServiceDeps, input: CommandRequest): AgentCommandRequest {
  const { commands, workspaceRoot } = deps.config;
  return {
    cmd: input.cmd,
    cwd: input.cwd === undefined ? undefined : toWorkspaceRelative(workspaceRoot, input.cwd),
    env: input.env,
    stdin: input.stdin,
    timeoutMs: Math.min(input.timeoutMs ?? commands.defaultTimeoutMs, commands.maxTimeoutMs),
  };
}

export async function runCommand(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: CommandRequest,
): Promise<CommandResult> {
  const req = toAgentRequest(deps, input);
  const started = deps.clock.now();
  const result = await callWorkspaceAgent(deps, tenantId, id, (t) => deps.workspaceAgent.runCommand(t, req));
  deps.metrics.duration(METRIC.CommandLatency, deps.clock.now() - started);
  return result;
}

/** Streams stdout/stderr as SSE from the agent, relayed as is (API.md exec with text/event-stream). */
export function streamCommand(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: CommandRequest,
  signal?: AbortSignal,
): Promise<WorkspaceAgentStream> {
  const req = toAgentRequest(deps, input);
  return callWorkspaceAgent(deps, tenantId, id, (t) => deps.workspaceAgent.streamCommand(t, req, signal));
}

export function runBinaryCommand(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  input: CommandRequest,
): Promise<BinaryCommandStream> {
  const req = toAgentRequest(deps, input);
  return callWorkspaceAgent(deps, tenantId, id, (t) => deps.workspaceAgent.runBinaryCommand(t, req));
}

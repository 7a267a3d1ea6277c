import { stat } from 'node:fs/promises';
import { AgentHttpError, agentInvalidPath, agentInvalidRequest } from '../errors.js';
import { resolveExisting, type WorkspaceRoot } from '../files/safe-path.js';
import { WORKSPACE_AGENT_LIMITS, agentCommandRequest, parseWith } from '@berth/protocol';

/** A validated exec request, cwd resolved to a real directory inside the workspace. */
export interface CommandPlan {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  stdin?: string;
  /** Per-stream cap as asked; undefined means the endpoint's default. */
  maxOutputBytes?: number;
}

/**
 * Checks an exec request with the protocol's schema (the control plane checks the same one, so both refuse
 * the same bodies with the same message), then resolves cwd to a real directory inside the workspace.
 */
export async function parseCommandRequest(
  body: Record<string, unknown>,
  ws: WorkspaceRoot,
): Promise<CommandPlan> {
  const parsed = parseWith(agentCommandRequest, body);
  if (!parsed.ok) throw agentInvalidRequest(parsed.message);
  const { cmd, cwd, env, timeoutMs, stdin, maxOutputBytes } = parsed.data;

  // No cwd: the workspace root, resolved once at start (it is a mount point) — no file system round trips
  // on the hot path of every command.
  const dir =
    cwd === undefined
      ? { real: ws.realRoot }
      : await resolveExisting(ws, cwd).catch((err: unknown) => {
          if (err instanceof AgentHttpError && err.code === 'not_found')
            throw agentInvalidPath(`cwd ${cwd} does not exist`);
          throw err;
        });
  if (cwd !== undefined && !(await stat(dir.real)).isDirectory())
    throw agentInvalidPath(`cwd ${cwd} is not a directory`);

  return {
    argv: cmd,
    cwd: dir.real,
    env: env ?? {},
    timeoutMs: timeoutMs ?? WORKSPACE_AGENT_LIMITS.defaultTimeoutMs,
    ...(stdin !== undefined && { stdin }),
    ...(maxOutputBytes !== undefined && { maxOutputBytes }),
  };
}

import { stat } from 'node:fs/promises';
import { AgentError, invalidPath, invalidRequest } from '../errors.js';
import { resolveExisting, type WorkspaceRoot } from '../files/safe-path.js';
import { AGENT_LIMITS } from '@berth/protocol';

/** A validated exec request, cwd resolved to a real directory inside the workspace. */
export interface ExecPlan {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  stdin?: string;
  /** Per-stream cap as asked; undefined means the endpoint's default. */
  maxOutputBytes?: number;
}

const KNOWN = new Set(['cmd', 'cwd', 'env', 'timeoutMs', 'stdin', 'maxOutputBytes']);

/** Strict validation of ExecRequest: unknown fields are refused so typos (`timeout`) do not pass silently. */
export async function parseExecRequest(body: Record<string, unknown>, ws: WorkspaceRoot): Promise<ExecPlan> {
  for (const key of Object.keys(body)) if (!KNOWN.has(key)) throw invalidRequest(`unknown field "${key}"`);

  const { cmd, cwd, env, timeoutMs, stdin, maxOutputBytes } = body;
  if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((a) => typeof a === 'string')) {
    throw invalidRequest('cmd must be a non-empty array of strings');
  }
  if (cmd[0] === '') throw invalidRequest('cmd[0] must not be empty');
  if (cmd.some((a: string) => a.includes('\0'))) throw invalidRequest('cmd must not contain NUL bytes');

  if (cwd !== undefined && typeof cwd !== 'string') throw invalidRequest('cwd must be a string');
  // No cwd: the workspace root, resolved once at start (it is a mount point) — no file system round trips
  // on the hot path of every command.
  const dir =
    cwd === undefined
      ? { real: ws.realRoot }
      : await resolveExisting(ws, cwd).catch((err: unknown) => {
          if (err instanceof AgentError && err.code === 'not_found')
            throw invalidPath(`cwd ${cwd} does not exist`);
          throw err;
        });
  if (cwd !== undefined && !(await stat(dir.real)).isDirectory())
    throw invalidPath(`cwd ${cwd} is not a directory`);

  const childEnv: Record<string, string> = {};
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) {
      throw invalidRequest('env must be an object of strings');
    }
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== 'string') throw invalidRequest(`env.${k} must be a string`);
      if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) {
        throw invalidRequest(`env name ${JSON.stringify(k)} or its value is not allowed`);
      }
      childEnv[k] = v;
    }
  }

  if (timeoutMs !== undefined && !isIntIn(timeoutMs, 1, AGENT_LIMITS.maxTimeoutMs)) {
    throw invalidRequest(`timeoutMs must be an integer from 1 to ${AGENT_LIMITS.maxTimeoutMs}`);
  }
  if (stdin !== undefined && typeof stdin !== 'string') throw invalidRequest('stdin must be a string');
  if (maxOutputBytes !== undefined && !isIntIn(maxOutputBytes, 1, AGENT_LIMITS.maxOutputBytesLimit)) {
    throw invalidRequest(`maxOutputBytes must be an integer from 1 to ${AGENT_LIMITS.maxOutputBytesLimit}`);
  }

  return {
    argv: cmd as string[],
    cwd: dir.real,
    env: childEnv,
    timeoutMs: (timeoutMs as number | undefined) ?? AGENT_LIMITS.defaultTimeoutMs,
    ...(stdin !== undefined && { stdin: stdin as string }),
    ...(maxOutputBytes !== undefined && { maxOutputBytes: maxOutputBytes as number }),
  };
}

function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

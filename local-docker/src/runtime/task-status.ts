import { missingTask, type TaskState, type TaskStatus } from '@berth/core';
import type { ContainerInfo, ContainerInspectInfo } from 'dockerode';
import { labelKeys } from './labels.js';
import { agentSocketPath } from './paths.js';

export interface StatusContext {
  stateDir: string;
  labelPrefix: string;
}

/** Docker container state → Berth task state. */
export function dockerTaskState(dockerState: string, paused = false): TaskState {
  if (paused) return 'paused';
  switch (dockerState) {
    case 'created':
    case 'restarting':
      return 'pending';
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    default:
      // exited, dead, removing
      return 'stopped';
  }
}

/** Why a container ended: OOM wins over the bare 137 it causes; a SIGKILL without OOM is `killed`. */
export function stoppedReason(exit: { exitCode: number; oomKilled: boolean; error?: string }): string {
  if (exit.oomKilled) return 'oom';
  if (exit.error) return `error:${exit.error}`;
  if (exit.exitCode === 137) return 'killed';
  return `exited:${exit.exitCode}`;
}

function endpointFor(
  state: TaskState,
  workspaceId: string | null,
  ctx: StatusContext,
): TaskStatus['endpoint'] {
  // Where the socket WILL be once the agent listens; whether it answers is the health poll's business.
  if ((state !== 'running' && state !== 'paused') || workspaceId === null) return null;
  return { kind: 'uds', socketPath: agentSocketPath(ctx.stateDir, workspaceId) };
}

const workspaceIdOf = (labels: Record<string, string> | undefined, ctx: StatusContext) =>
  labels?.[labelKeys(ctx.labelPrefix).workspaceId] ?? null;

export function statusFromInspect(info: ContainerInspectInfo, ctx: StatusContext): TaskStatus {
  const state = dockerTaskState(info.State.Status, info.State.Paused);
  const workspaceId = workspaceIdOf(info.Config.Labels, ctx);
  const stopped = state === 'stopped';
  return {
    taskRef: info.Id,
    state,
    endpoint: endpointFor(state, workspaceId, ctx),
    workspaceId,
    stoppedReason: stopped
      ? stoppedReason({
          exitCode: info.State.ExitCode,
          oomKilled: info.State.OOMKilled,
          error: info.State.Error,
        })
      : null,
    exitCode: stopped ? info.State.ExitCode : null,
    oomKilled: info.State.OOMKilled,
    stoppedAt: stopped ? finishedAt(info.State.FinishedAt) : null,
  };
}

/** `Exited (137) 3 seconds ago` → 137. The list summary carries no numeric exit code. */
export const exitCodeFromStatusText = (status: string): number | null => {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m?.[1] === undefined ? null : Number(m[1]);
};

/** From a list summary: exact for live containers; list() inspects ended ones for OOM/exit detail. */
export function statusFromSummary(info: ContainerInfo, ctx: StatusContext): TaskStatus {
  const state = dockerTaskState(info.State);
  const workspaceId = workspaceIdOf(info.Labels, ctx);
  const exitCode = state === 'stopped' ? exitCodeFromStatusText(info.Status) : null;
  return {
    taskRef: info.Id,
    state,
    endpoint: endpointFor(state, workspaceId, ctx),
    workspaceId,
    stoppedReason: state === 'stopped' ? stoppedReason({ exitCode: exitCode ?? -1, oomKilled: false }) : null,
    exitCode,
    oomKilled: false,
    // Summaries carry no finish time; list() inspects ended containers for it.
    stoppedAt: null,
  };
}

/** Docker's FinishedAt, or null for its "never" value (0001-01-01...) or anything unreadable. */
function finishedAt(iso: string | undefined): number | null {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** A container the engine does not know. */
export const missingStatus = missingTask;

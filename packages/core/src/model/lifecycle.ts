import type { WorkspaceRecord, WorkspaceStatus } from './workspace.js';

/** Allowed transitions (ARCHITECTURE.md §3). Anything may fail; only these other moves are legal. */
const TRANSITIONS: Record<WorkspaceStatus, readonly WorkspaceStatus[]> = {
  // A warm pool member is frozen as it gets ready (pool/pool-member.ts), until a claim thaws it.
  provisioning: ['ready', 'paused', 'stopping', 'failed'],
  ready: ['paused', 'stopping', 'failed'],
  // A hibernated workspace (ECS) resumes by starting again (services/hibernation.ts).
  paused: ['ready', 'provisioning', 'stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export function canTransition(from: WorkspaceStatus, to: WorkspaceStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const TERMINAL_STATUSES: readonly WorkspaceStatus[] = ['stopped', 'failed'];
export const LIVE_STATUSES: readonly WorkspaceStatus[] = ['provisioning', 'ready', 'paused'];

export const isTerminal = (s: WorkspaceStatus) => TERMINAL_STATUSES.includes(s);

/** Live: holds (or is getting) a container and its lease has not run out. */
export function isLive(ws: WorkspaceRecord, now: number): boolean {
  return LIVE_STATUSES.includes(ws.status) && ws.expiresAt > now;
}

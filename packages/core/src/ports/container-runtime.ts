import type { AgentEndpoint, RuntimeKind } from '../model/workspace.js';

/** Resource limits of one workspace container (ARCHITECTURE.md §4: 2 CPU / 2 GiB / 100 pids). */
export interface ContainerLimits {
  cpus: number;
  memoryMiB: number;
  pids: number;
  /**
   * The workspace's disk (its files and everything it writes there). Locally a filesystem of this size per
   * workspace; on ECS this is to become the task's ephemeral storage (not applied there yet).
   */
  diskMiB: number;
}

export interface ContainerSpec {
  workspaceId: string;
  tenantId: string;
  template: string;
  /** Image (Docker) or task definition family (ECS) of the template. */
  image: string;
  limits: ContainerLimits;
  /** Extra environment for the agent. */
  env?: Record<string, string>;
  /**
   * Names this start of the workspace's container: a start retried with the same token gets the task the first
   * one started (ECS: the RunTask client token, which ECS remembers for up to 24 h), a later start of the same
   * workspace (a resume after hibernation, services/hibernation.ts) needs a token of its own. Default: the
   * workspace id.
   */
  startToken?: string;
}

export type TaskState = 'pending' | 'running' | 'paused' | 'stopped' | 'missing';

export interface TaskStatus {
  taskRef: string;
  state: TaskState;
  /** Set once the agent can be reached (ENI IP known / socket dir mounted). */
  endpoint: AgentEndpoint | null;
  /** Workspace id from Berth's labels/tags; null if the task carries none. */
  workspaceId: string | null;
  /** Why it stopped (ECS stoppedReason, Docker exit); null while running. */
  stoppedReason: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  /** When it stopped (epoch ms), if the runtime says; null while running or unknown. */
  stoppedAt: number | null;
}

/**
 * Where workspace containers run: Docker (local-docker/DockerRuntime) or ECS (packages/aws/EcsRuntime).
 * Any implementation must pass test/contract/container-runtime.contract.ts.
 */
export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  /**
   * Whether `pause` can freeze a task in place (Docker: every process stopped, memory kept). A runtime that
   * cannot (ECS) refuses pause/resume; a workspace paused there hibernates instead (services/hibernation.ts).
   */
  readonly freezes: boolean;
  /** Starts a labelled, hardened container/task. Resolves once the runtime accepted it (not when healthy). */
  start(spec: ContainerSpec): Promise<{ taskRef: string }>;
  /** Current state; `missing` for an unknown task. Never throws for an unknown ref. */
  describe(taskRef: string): Promise<TaskStatus>;
  /** Stops and removes; idempotent (stopping a missing task resolves). */
  stop(taskRef: string, reason: string): Promise<void>;
  /** Freezes every process of the task (docker pause); resume thaws it. Only where `freezes`. */
  pause(taskRef: string): Promise<void>;
  resume(taskRef: string): Promise<void>;
  /**
   * Every task labelled as Berth's that may still need stopping: Docker lists exited containers too (stop
   * removes them); ECS leaves STOPPED tasks out (they are gone for good).
   */
  list(): Promise<TaskStatus[]>;
  /** Cheap round trip for /health. */
  ping(): Promise<void>;
}

/** The status of a task the runtime does not know (never started, or long gone): `describe` answers this. */
export const missingTask = (taskRef: string): TaskStatus => ({
  taskRef,
  state: 'missing',
  endpoint: null,
  workspaceId: null,
  stoppedReason: null,
  exitCode: null,
  oomKilled: false,
  stoppedAt: null,
});

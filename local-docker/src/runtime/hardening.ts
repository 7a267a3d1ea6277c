import type { ContainerSpec } from '@berth/core';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { labelKeys } from './labels.js';
import {
  CONTAINER_AGENT_DIR,
  CONTAINER_AGENT_SOCKET,
  CONTAINER_FILES_DIR,
  CONTAINER_HOST_DIR,
  CONTAINER_PROXY_SOCKET,
} from './paths.js';
import type { WorkspaceDirs } from './paths.js';

/** The uid:gid the agent runs as; the host dirs are chowned to it. */
export const AGENT_UID = 1000;
export const AGENT_GID = 1000;
export const AGENT_HOME = '/home/agent';
const MiB = 1024 * 1024;

export type EngineDirs = Pick<WorkspaceDirs, 'files' | 'agent' | 'host'>;

export interface ContainerConfigInput {
  spec: ContainerSpec;
  /** The host's agent-token public key (protocol agent-token.ts, text form). */
  agentPublicKey: string;
  name: string;
  labelPrefix: string;
  /** The owning Berth (labels.ts, instanceOf). */
  instance: string;
  /** Host dirs as the Docker ENGINE sees them (differs from ours under Docker-in-Docker); paths.ts WorkspaceDirs. */
  engineDirs: EngineDirs;
  /** Replaces the image's entrypoint (and cmd); tests only (stand-in agent, crash cases). */
  command?: string[];
}

/**
 * Everything that makes a workspace container locked down (ARCHITECTURE.md §4). Pure, so every item is
 * asserted by a unit test without Docker.
 */
export function hardenedHostConfig(input: Pick<ContainerConfigInput, 'spec' | 'engineDirs'>): HostConfig {
  const { limits } = input.spec;
  const memory = limits.memoryMiB * MiB;
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    // Docker adds noexec to tmpfs by default; `exec` is explicit because /workspace is writable and
    // executable anyway, so noexec here would only break compilers and test runners that use /tmp.
    Tmpfs: {
      '/tmp': 'rw,exec,nosuid,nodev,size=256m',
      // Tools expect it writable too (package managers, computesdk's freshness check).
      '/var/tmp': 'rw,exec,nosuid,nodev,size=256m',
      [AGENT_HOME]: `rw,exec,nosuid,nodev,size=64m,uid=${AGENT_UID},gid=${AGENT_GID}`,
    },
    CapDrop: ['ALL'],
    // Docker's default seccomp profile stays on: passing any seccomp option here would replace it.
    SecurityOpt: ['no-new-privileges:true'],
    Privileged: false,
    PidsLimit: limits.pids,
    NanoCpus: Math.round(limits.cpus * 1e9),
    Memory: memory,
    // Equal to Memory = no swap: a runaway allocation is OOM-killed instead of thrashing the host.
    MemorySwap: memory,
    IpcMode: 'private',
    // Limits may add up to more than the host has: under HOST memory pressure, kill a workspace, not dockerd
    // or the control plane.
    OomScoreAdj: 500,
    // tini as PID 1 reaps orphaned grandchildren of exec'd commands; zombies would count against PidsLimit.
    Init: true,
    // Not AutoRemove: after a death we must still read ExitCode/OOMKilled; stop() removes.
    AutoRemove: false,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    // Bounded logs: a chatty workspace must not fill the host disk.
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
    // `Mounts` (not `Binds`) fails when a source is missing instead of silently creating a root-owned dir.
    // files and agent live on the workspace's own quota'd filesystem (workspace-disk.ts); the host dir (the
    // proxy socket) is root's and read-only, so the workspace can use the socket but never replace it.
    Mounts: [
      { Type: 'bind', Source: input.engineDirs.files, Target: CONTAINER_FILES_DIR, ReadOnly: false },
      { Type: 'bind', Source: input.engineDirs.agent, Target: CONTAINER_AGENT_DIR, ReadOnly: false },
      { Type: 'bind', Source: input.engineDirs.host, Target: CONTAINER_HOST_DIR, ReadOnly: true },
    ],
  };
}

/**
 * Agent environment: nothing secret (the agent checks signed tokens with the host's public key, and takes
 * only those naming its own workspace). Berth's own keys win over `spec.env`, so a template cannot move the
 * socket or swap the key.
 */
export function workspaceAgentEnv(spec: ContainerSpec, agentPublicKey: string): string[] {
  const env: Record<string, string> = {
    HOME: AGENT_HOME,
    ...spec.env,
    [WORKSPACE_AGENT_ENV.listenMode]: 'uds',
    [WORKSPACE_AGENT_ENV.socket]: CONTAINER_AGENT_SOCKET,
    [WORKSPACE_AGENT_ENV.workspaceId]: spec.workspaceId,
    [WORKSPACE_AGENT_ENV.tokenPublicKey]: agentPublicKey,
    [WORKSPACE_AGENT_ENV.workspaceDir]: CONTAINER_FILES_DIR,
    // The only way out (ARCHITECTURE.md §4). The agent connects per request, so the proxy may come later.
    [WORKSPACE_AGENT_ENV.proxySocket]: CONTAINER_PROXY_SOCKET,
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export function containerCreateOptions(input: ContainerConfigInput): ContainerCreateOptions {
  const keys = labelKeys(input.labelPrefix);
  const { spec } = input;
  return {
    name: input.name,
    Image: spec.image,
    // As Entrypoint, not Cmd: the workspace image's entrypoint IS the agent and would take Cmd as arguments.
    ...(input.command ? { Entrypoint: input.command } : {}),
    User: `${AGENT_UID}:${AGENT_GID}`,
    WorkingDir: CONTAINER_FILES_DIR,
    Env: workspaceAgentEnv(spec, input.agentPublicKey),
    Labels: {
      [keys.managed]: 'true',
      [keys.instance]: input.instance,
      [keys.workspaceId]: spec.workspaceId,
      [keys.tenantId]: spec.tenantId,
      [keys.template]: spec.template,
    },
    HostConfig: hardenedHostConfig(input),
  };
}

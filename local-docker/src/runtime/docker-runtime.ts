import path from 'node:path';
import type { ContainerRuntime, ContainerSpec, TaskStatus } from '@berth/core';
import Dockerode from 'dockerode';
import { dockerMessage, dockerStatus, ImageMissingError, TaskNotFoundError } from './errors.js';
import { containerCreateOptions } from './hardening.js';
import { DEFAULT_LABEL_PREFIX, instanceOf, isOwned, labelKeys, managedFilter } from './labels.js';
import { AGENT_SOCKET_NAME, workspaceDirs, type WorkspaceDirs } from './paths.js';
import { missingStatus, statusFromInspect, statusFromSummary } from './task-status.js';
import { assertSocket, mountedDisksIn, WorkspaceDisks, type DiskMode } from './workspace-disk.js';

export interface DockerRuntimeOptions {
  /** Engine client; default: the local socket (DOCKER_HOST honoured by dockerode). */
  docker?: Dockerode;
  /** Host dir (as this process sees it) holding `workspaces/<id>/` (paths.ts). */
  stateDir: string;
  /** The control plane's agent-token public key (text form): each workspace's agent checks tokens with it. */
  agentPublicKey: string;
  /** The same dir as the Docker ENGINE sees it (Docker-in-Docker: paths differ). Default: stateDir. */
  hostStateDir?: string;
  /** Container name prefix; default `berth-`. */
  namePrefix?: string;
  /** Label key prefix; default `dev.berth`. */
  labelPrefix?: string;
  /** Replaces the image's entrypoint; tests only (stand-in agent, crash cases). Not part of the core spec. */
  command?: string[];
  /** Every workspace's disk size, instead of the template's `diskMiB` (BERTH_DISK_MIB). */
  diskMiB?: number;
  /** Default `auto` (workspace-disk.ts): a quota'd filesystem per workspace where this process can mount one. */
  diskMode?: 'auto' | DiskMode;
  /** Where the one warning about running without disk quotas goes; default stderr. */
  warn?: (message: string, extra: Record<string, unknown>) => void;
}

// Container ids and names only: anything else (e.g. `../images`) must never reach the engine's URL path.
const SAFE_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$/;

/** How long a pause or thaw refused because another is under way waits for the container to get there. */
const TRANSITION_WAIT_MS = 2_000;
const TRANSITION_POLL_MS = 25;

/** ContainerRuntime over the local Docker engine (ARCHITECTURE.md §4, hardening in hardening.ts). */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  /** docker pause: a paused workspace keeps its processes and memory, frozen. */
  readonly freezes = true;
  readonly docker: Dockerode;
  readonly stateDir: string;
  private readonly agentPublicKey: string;
  readonly hostStateDir: string;
  readonly namePrefix: string;
  readonly labelPrefix: string;
  /** This Berth among others on the same engine (labels.ts, instanceOf): derived from the state dir. */
  readonly instance: string;
  private readonly command: string[] | undefined;
  private readonly diskMiB: number | undefined;
  private readonly warn: (message: string, extra: Record<string, unknown>) => void;
  /** taskRef → workspace id of the containers this runtime started or listed, for stops of vanished ones. */
  private readonly workspaceOf = new Map<string, string>();
  /** The workspaces' filesystems (quota'd loop mounts, or plain dirs where that is impossible). */
  readonly disks: WorkspaceDisks;

  constructor(options: DockerRuntimeOptions) {
    this.docker = options.docker ?? new Dockerode();
    this.stateDir = options.stateDir;
    this.agentPublicKey = options.agentPublicKey;
    this.hostStateDir = options.hostStateDir ?? options.stateDir;
    this.namePrefix = options.namePrefix ?? 'berth-';
    this.labelPrefix = options.labelPrefix ?? DEFAULT_LABEL_PREFIX;
    this.instance = instanceOf(options.stateDir);
    this.command = options.command;
    this.diskMiB = options.diskMiB;
    this.warn =
      options.warn ??
      ((message, extra) => process.stderr.write(`berth: ${message} (${JSON.stringify(extra)})\n`));
    this.disks = new WorkspaceDisks({
      mode: options.diskMode ?? 'auto',
      spareDir: path.join(options.stateDir, 'workspaces', '.spare-disks'),
      // The engine resolves bind sources in ITS mount namespace: a loop mount made here may not be there.
      ...(this.hostStateDir !== this.stateDir
        ? { plainBecause: 'hostStateDir differs from stateDir (Docker-in-Docker)' }
        : {}),
      warn: this.warn,
    });
  }

  /** A workspace's host dirs as this process sees them (the proxy puts `proxy.sock` in `host`). */
  dirs(workspaceId: string): WorkspaceDirs {
    return workspaceDirs(this.stateDir, workspaceId);
  }

  async start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    const dirs = this.dirs(spec.workspaceId);
    const engineDirs = workspaceDirs(this.hostStateDir, spec.workspaceId);
    await this.disks.prepare(dirs, this.diskMiB ?? spec.limits.diskMiB);
    try {
      const started = await this.startContainer(spec, dirs, engineDirs);
      this.workspaceOf.set(started.taskRef, spec.workspaceId);
      return started;
    } catch (err) {
      // No container holds the disk: do not leave a loop mount behind for a workspace that never ran.
      await this.disks.release(dirs).catch(() => undefined);
      throw err;
    }
  }

  private async startContainer(
    spec: ContainerSpec,
    dirs: WorkspaceDirs,
    engineDirs: WorkspaceDirs,
  ): Promise<{ taskRef: string }> {
    const options = containerCreateOptions({
      spec,
      agentPublicKey: this.agentPublicKey,
      name: `${this.namePrefix}${spec.workspaceId}`,
      labelPrefix: this.labelPrefix,
      instance: this.instance,
      engineDirs,
      ...(this.command ? { command: this.command } : {}),
    });
    // Lean on purpose (cold acquire budget): one create + one start, no pull, no inspect.
    const container = await this.create(options, spec.image);
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw new Error(`starting container for workspace ${spec.workspaceId} failed: ${dockerMessage(err)}`, {
        cause: err,
      });
    }
    return { taskRef: container.id };
  }

  private async create(
    options: Dockerode.ContainerCreateOptions,
    image: string,
  ): Promise<Dockerode.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (dockerStatus(err) === 404) throw new ImageMissingError(image);
      if (/bind source path does not exist/i.test(dockerMessage(err))) {
        // Docker-in-Docker: the engine resolves mount sources on ITS filesystem, not ours.
        throw new Error(
          `${dockerMessage(err)}; hostStateDir (${this.hostStateDir}) must be the state dir as the Docker engine sees it`,
          { cause: err },
        );
      }
      if (dockerStatus(err) !== 409) throw err;
      // Name taken: a leftover of an earlier attempt for the same workspace (its token is stale). Replace
      // it, but never a container that is not ours.
      const name = options.name ?? '';
      const old = await this.inspectManaged(name);
      if (!old) throw new Error(`container name ${name} is taken by a container Berth does not manage`);
      await this.removeForce(old.Id);
      return this.docker.createContainer(options);
    }
  }

  async describe(taskRef: string): Promise<TaskStatus> {
    const info = await this.inspectManaged(taskRef);
    return info ? statusFromInspect(info, this) : missingStatus(taskRef);
  }

  /**
   * Kills and removes (with anonymous volumes), then unmounts the workspace's disk. Keeps its image and dirs:
   * files outlive containers (salvage, removeWorkspaceDirs).
   */
  async stop(taskRef: string, _reason: string): Promise<void> {
    const info = await this.inspectManaged(taskRef);
    // Already gone (removed behind our back): its disk is still ours to unmount if we know whose it was.
    const workspaceId = info
      ? info.Config.Labels[labelKeys(this.labelPrefix).workspaceId]
      : this.workspaceOf.get(taskRef);
    if (info) await this.removeForce(info.Id);
    this.workspaceOf.delete(taskRef);
    // The container is gone, which is what stop promises; a disk that stays mounted is retried at next start.
    if (workspaceId) {
      await this.releaseDisk(workspaceId).catch((e: unknown) =>
        this.warn('unmounting a workspace disk failed', { workspaceId, error: String(e) }),
      );
    }
  }

  /**
   * Checks the dirs of a workspace whose container is running (after a restart of Berth or the machine),
   * mounting its disk again if needed, and that its agent socket is a socket. Throws UnsoundWorkspaceError
   * when something there is not what Berth and the agent made: a workspace that tampered with its dirs is
   * failed rather than trusted.
   */
  async checkWorkspaceDirs(workspaceId: string): Promise<void> {
    const dirs = this.dirs(workspaceId);
    await this.disks.check(dirs);
    await assertSocket(path.join(dirs.agent, AGENT_SOCKET_NAME));
  }

  /**
   * Unmounts the disks of workspaces without a running container (removed while Berth was down, or behind
   * its back): their images stay. Returns the workspace ids released.
   */
  async releaseIdleDisks(running: ReadonlySet<string>): Promise<string[]> {
    const idle = (await mountedDisksIn(path.join(this.stateDir, 'workspaces'))).filter(
      (id) => !running.has(id),
    );
    const released: string[] = [];
    for (const id of idle) {
      await this.releaseDisk(id).then(
        () => released.push(id),
        () => undefined, // still busy: the next start tries again
      );
    }
    return released;
  }

  private async releaseDisk(workspaceId: string): Promise<void> {
    let dirs: WorkspaceDirs;
    try {
      dirs = this.dirs(workspaceId);
    } catch {
      return; // a label no workspace of ours can have
    }
    await this.disks.release(dirs);
  }

  async pause(taskRef: string): Promise<void> {
    await this.transition(taskRef, 'paused', (c) => c.pause());
  }

  async resume(taskRef: string): Promise<void> {
    await this.transition(taskRef, 'running', (c) => c.unpause());
  }

  async list(): Promise<TaskStatus[]> {
    const summaries = await this.docker.listContainers({
      all: true,
      filters: { label: [managedFilter(this.labelPrefix)] },
    });
    const ours = summaries.filter((s) => isOwned(s.Labels, this.labelPrefix, this.instance));
    const statuses = await Promise.all(
      ours.map(async (s) => {
        const status = statusFromSummary(s, this);
        if (status.workspaceId) this.workspaceOf.set(status.taskRef, status.workspaceId);
        // The summary lacks OOMKilled: inspect the (few) ended ones so the sweep sees why they died.
        if (status.state !== 'stopped') return status;
        const info = await this.inspectManaged(s.Id);
        return info ? statusFromInspect(info, this) : null;
      }),
    );
    return statuses.filter((s): s is TaskStatus => s !== null);
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /** Deletes a workspace's host dirs and disk (its files too): only on final delete, after the files are synced. */
  async removeWorkspaceDirs(workspaceId: string): Promise<void> {
    await this.disks.remove(this.dirs(workspaceId));
  }

  /** Inspect, or null when the engine does not know the ref or the container is not Berth's. */
  private async inspectManaged(taskRef: string): Promise<Dockerode.ContainerInspectInfo | null> {
    if (!SAFE_REF.test(taskRef)) return null;
    try {
      const info = await this.docker.getContainer(taskRef).inspect();
      return isOwned(info.Config.Labels, this.labelPrefix, this.instance) ? info : null;
    } catch (err) {
      if (dockerStatus(err) === 404) return null;
      throw err;
    }
  }

  private async removeForce(id: string): Promise<void> {
    try {
      // force = SIGKILL + remove in one call: the agent has nothing to flush (files are synced before stop).
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = dockerStatus(err);
      if (status === 404) return;
      // 409 "removal already in progress": someone else is stopping it; wait so stop() still means gone.
      if (status === 409 && /in progress/i.test(dockerMessage(err))) return this.waitGone(id);
      throw err;
    }
  }

  private async waitGone(id: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.inspectManaged(id))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`container ${id} still being removed after ${timeoutMs} ms`);
  }

  /** pause/unpause, idempotent: a 409 is fine if the container is already where we wanted it. */
  private async transition(
    taskRef: string,
    target: 'paused' | 'running',
    act: (c: Dockerode.Container) => Promise<unknown>,
  ): Promise<void> {
    // A container this runtime started (or listed) is known to be its own: acted on without an inspect first
    // (a pool claim thaws its member on the create's path).
    const id = this.workspaceOf.has(taskRef) ? taskRef : (await this.inspectManaged(taskRef))?.Id;
    if (!id) throw new TaskNotFoundError(taskRef);
    try {
      await act(this.docker.getContainer(id));
    } catch (err) {
      if (dockerStatus(err) === 404) throw new TaskNotFoundError(taskRef);
      // Refused (409), or failed in the engine (500) because another caller is making the same change right
      // now (a pool claim thaws its member while a claimer that lost it may be thawing it too): done when the
      // container gets there shortly.
      if (dockerStatus(err) !== 409 && dockerStatus(err) !== 500) throw err;
      for (let waited = 0; ; waited += TRANSITION_POLL_MS) {
        const now = await this.describe(id);
        if (now.state === target) return;
        if (now.state !== 'paused' && now.state !== 'running') break;
        if (waited >= TRANSITION_WAIT_MS) break;
        await new Promise((r) => setTimeout(r, TRANSITION_POLL_MS));
      }
      throw new Error(`cannot make ${taskRef} ${target}: ${dockerMessage(err)}`, { cause: err });
    }
  }
}

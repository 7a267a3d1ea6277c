import { existsSync } from 'node:fs';
import type { ContainerRuntime, ContainerSpec, TaskStatus } from '@berth/core';
import { CONTAINER_RUN_DIR, PROXY_SOCKET_NAME, workspaceDirs } from '../runtime/paths.js';
import type { LocalEgress } from './local-egress.js';

/** Where the agent finds the proxy inside the container (the run dir is bind-mounted there). */
export const CONTAINER_PROXY_SOCKET = `${CONTAINER_RUN_DIR}/${PROXY_SOCKET_NAME}`;

/**
 * A ContainerRuntime (DockerRuntime) with each workspace's egress proxy tied to its container's life: the
 * proxy is up before the container starts (the agent's first request may go out at once) and goes away
 * when the container is stopped. Kept apart from DockerRuntime so the runtime stays a plain Docker adapter
 * and the proxy stays optional.
 */
export class EgressRuntime implements ContainerRuntime {
  readonly kind: ContainerRuntime['kind'];
  /** taskRef → workspace id, for stops of containers Docker no longer knows. */
  private readonly workspaceOf = new Map<string, string>();

  constructor(
    private readonly inner: ContainerRuntime,
    private readonly egress: Pick<LocalEgress, 'attach' | 'detach' | 'anthropicBaseUrl'>,
    /** The host's state dir: a container is this host's when its run dir is here. */
    private readonly stateDir: string,
  ) {
    this.kind = inner.kind;
  }

  async start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    await this.egress.attach(spec.workspaceId);
    try {
      // The agent pipes 127.0.0.1:3128 to this socket and gives commands HTTP(S)_PROXY pointing there;
      // agent runs (POST /execute) call the Messages API through it, the proxy adding the key.
      const anthropic = this.egress.anthropicBaseUrl;
      const started = await this.inner.start({
        ...spec,
        env: {
          ...spec.env,
          AGENT_PROXY_SOCKET: CONTAINER_PROXY_SOCKET,
          ...(anthropic ? { AGENT_ANTHROPIC_BASE_URL: anthropic } : {}),
        },
      });
      this.workspaceOf.set(started.taskRef, spec.workspaceId);
      return started;
    } catch (e) {
      await this.egress.detach(spec.workspaceId).catch(() => undefined);
      throw e;
    }
  }

  async stop(taskRef: string, reason: string): Promise<void> {
    const status = await this.inner.describe(taskRef).catch(() => null);
    await this.inner.stop(taskRef, reason);
    const workspaceId = status?.workspaceId ?? this.workspaceOf.get(taskRef);
    this.workspaceOf.delete(taskRef);
    if (workspaceId) await this.egress.detach(workspaceId);
  }

  /**
   * After a host restart: starts the proxies of this host's containers that are still alive, so their
   * workspaces keep their way out (with their stored rules). Returns how many were attached.
   */
  async reattach(): Promise<number> {
    const alive = (await this.inner.list()).filter(
      (t): t is TaskStatus & { workspaceId: string } =>
        t.workspaceId !== null &&
        t.state !== 'stopped' &&
        t.state !== 'missing' &&
        this.isOurs(t.workspaceId),
    );
    await Promise.all(
      alive.map(async (t) => {
        await this.egress.attach(t.workspaceId);
        this.workspaceOf.set(t.taskRef, t.workspaceId);
      }),
    );
    return alive.length;
  }

  /** The engine may hold other hosts' workspaces (other state dirs, odd labels): leave those alone. */
  private isOurs(workspaceId: string): boolean {
    try {
      return existsSync(workspaceDirs(this.stateDir, workspaceId).run);
    } catch {
      return false; // not a safe workspace id
    }
  }

  describe(taskRef: string): Promise<TaskStatus> {
    return this.inner.describe(taskRef);
  }

  pause(taskRef: string): Promise<void> {
    return this.inner.pause(taskRef);
  }

  resume(taskRef: string): Promise<void> {
    return this.inner.resume(taskRef);
  }

  list(): Promise<TaskStatus[]> {
    return this.inner.list();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }
}

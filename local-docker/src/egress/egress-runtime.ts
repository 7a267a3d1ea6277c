import type { ContainerRuntime, ContainerSpec, TaskStatus } from '@berth/core';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import { CONTAINER_PROXY_SOCKET } from '../runtime/paths.js';
import type { LocalEgress } from './local-egress.js';

/**
 * A ContainerRuntime (DockerRuntime) with each workspace's egress proxy tied to its container's life: the
 * proxy is up before the container starts (the agent's first request may go out at once) and goes away
 * when the container is stopped. Kept apart from DockerRuntime so the runtime stays a plain Docker adapter
 * and the proxy stays optional.
 */
export class EgressRuntime implements ContainerRuntime {
  readonly kind: ContainerRuntime['kind'];
  readonly freezes: boolean;
  /** taskRef → workspace id, for stops of containers Docker no longer knows. */
  private readonly workspaceOf = new Map<string, string>();

  constructor(
    private readonly inner: ContainerRuntime,
    private readonly egress: Pick<LocalEgress, 'attach' | 'detach' | 'modelAccessEnv'>,
  ) {
    this.kind = inner.kind;
    this.freezes = inner.freezes;
  }

  async start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    await this.egress.attach(spec.workspaceId);
    try {
      // The agent pipes 127.0.0.1:3128 to this socket and gives commands HTTP(S)_PROXY pointing there;
      // agent runs (POST /execute) call the Messages API or Bedrock through it, the proxy adding the key or
      // the AWS signature.
      const started = await this.inner.start({
        ...spec,
        env: {
          ...spec.env,
          [WORKSPACE_AGENT_ENV.proxySocket]: CONTAINER_PROXY_SOCKET,
          ...this.egress.modelAccessEnv,
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
   * After a host restart: starts the proxy of a container of this host that is still alive, so its workspace
   * keeps its way out (with its stored rules). live-workspaces.ts calls it per workspace, after its dirs
   * passed their check.
   */
  async reattach(task: { taskRef: string; workspaceId: string }): Promise<void> {
    await this.egress.attach(task.workspaceId);
    this.workspaceOf.set(task.taskRef, task.workspaceId);
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

import { BerthError } from '../errors.js';
import { abortableSleep } from '../http/abort.js';
import { callOptions, type CallOptions } from '../http/call-options.js';
import { segment, type Transport } from '../http/transport.js';
import { Agent } from './agent.js';
import { Commands } from './commands.js';
import { Egress } from './egress.js';
import { Files } from './files.js';
import type { WorkspaceInfo } from './types.js';

export interface WaitOptions {
  /** The whole wait: after this long still `provisioning` is an error (default 120 s). */
  timeoutMs?: number;
  /** Between polls (default 500 ms). */
  intervalMs?: number;
  /** Aborts the wait, including a poll in flight. */
  signal?: AbortSignal;
}

/**
 * A workspace by its id: its lifecycle and what it can do, grouped by capability (`commands`, `files`,
 * `agent`, `egress`). Making one sends nothing (`berth.workspaces.handle(id)`); each call is then one
 * request straight to that workspace, so an unknown id shows up as `404 not_found` on the first call.
 */
export class WorkspaceHandle {
  readonly id: string;
  readonly commands: Commands;
  readonly files: Files;
  readonly agent: Agent;
  readonly egress: Egress;
  readonly #http: Transport;
  readonly #path: string;

  /** @internal Made by `berth.workspaces`. */
  constructor(http: Transport, id: string) {
    // An empty id would address the collection (`/v1/workspaces/`) instead of a workspace.
    if (!id) throw new TypeError('Berth: a workspace id is required');
    this.id = id;
    this.#http = http;
    this.#path = `/v1/workspaces/${segment(id)}`;
    this.commands = new Commands(http, this.#path);
    this.files = new Files(http, this.#path);
    this.agent = new Agent(http, this.#path);
    this.egress = new Egress(http, this.#path);
  }

  /** The workspace's state now (`GET /v1/workspaces/{id}`). */
  refresh(options?: CallOptions): Promise<WorkspaceInfo> {
    return this.#lifecycle('GET', '', undefined, options);
  }

  /** Extends the lease by `ttlSeconds` (60..86400) from now; default the workspace's own lease length. */
  keepalive(ttlSeconds?: number, options?: CallOptions): Promise<WorkspaceInfo> {
    return this.#lifecycle('POST', '/keepalive', ttlSeconds === undefined ? {} : { ttlSeconds }, options);
  }

  /** Freezes every process (memory kept); idempotent. Exec and files answer 409 until `resume()`. */
  pause(options?: CallOptions): Promise<WorkspaceInfo> {
    return this.#lifecycle('POST', '/pause', undefined, options);
  }

  resume(options?: CallOptions): Promise<WorkspaceInfo> {
    return this.#lifecycle('POST', '/resume', undefined, options);
  }

  /** Saves the files, then stops the container (`stopping`, then `stopped`); idempotent. */
  delete(options?: CallOptions): Promise<WorkspaceInfo> {
    return this.#lifecycle('DELETE', '', undefined, options);
  }

  /** Polls until `ready` (after `create({ wait: false })`); throws if it ends or fails instead. */
  async waitUntilReady(options: WaitOptions = {}): Promise<WorkspaceInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const info = await this.refresh({ signal: options.signal });
      if (info.status === 'ready') return info;
      if (info.status !== 'provisioning') {
        throw new BerthError(
          `workspace ${this.id} is ${info.status}${info.terminationReason ? ` (${info.terminationReason})` : ''}, not ready`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new BerthError(`workspace ${this.id} is still provisioning`);
      await abortableSleep(Math.min(options.intervalMs ?? 500, left), options.signal);
    }
  }

  /** Each answer about the workspace passes here; `Workspace` keeps the last one. */
  protected observe(_info: WorkspaceInfo): void {}

  async #lifecycle(
    method: 'GET' | 'POST' | 'DELETE',
    suffix: string,
    json: object | undefined,
    options: CallOptions | undefined,
  ): Promise<WorkspaceInfo> {
    const info = await this.#http.json<WorkspaceInfo>({
      method,
      path: `${this.#path}${suffix}`,
      ...(json === undefined ? {} : { json }),
      // Reads and lifecycle changes are idempotent: safe to send again.
      retry: 'safe',
      ...callOptions(options),
    });
    this.observe(info);
    return info;
  }
}

import { BerthError } from '../errors.js';
import { sleep } from '../http/abort.js';
import { segment, type Transport } from '../http/transport.js';
import { Agent } from './agent.js';
import { Commands } from './commands.js';
import { Egress } from './egress.js';
import { Files } from './files.js';
import type { WorkspaceInfo } from './types.js';

export interface WaitOptions {
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  /** Between polls (default 500 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * A handle on one workspace: its last known state (`info`), its lifecycle, and what it can do, grouped by
 * capability (`commands`, `files`, `agent`, `egress`). Cheap: holds no connection.
 */
export class Workspace {
  readonly id: string;
  readonly commands: Commands;
  readonly files: Files;
  readonly agent: Agent;
  readonly egress: Egress;
  readonly #http: Transport;
  readonly #path: string;
  #info: WorkspaceInfo;

  /** @internal Made by `berth.workspaces`. */
  constructor(http: Transport, info: WorkspaceInfo) {
    this.id = info.id;
    this.#http = http;
    this.#info = info;
    this.#path = `/v1/workspaces/${segment(info.id)}`;
    this.commands = new Commands(http, this.#path);
    this.files = new Files(http, this.#path);
    this.agent = new Agent(http, this.#path);
    this.egress = new Egress(http, this.#path);
  }

  /** As of the last answer about this workspace; `refresh()` asks again. */
  get info(): WorkspaceInfo {
    return this.#info;
  }

  get status(): WorkspaceInfo['status'] {
    return this.#info.status;
  }

  refresh(): Promise<WorkspaceInfo> {
    return this.#update('GET', '');
  }

  /** Extends the lease by `ttlSeconds` (60..86400) from now; default the workspace's own lease length. */
  keepalive(ttlSeconds?: number): Promise<WorkspaceInfo> {
    return this.#update('POST', '/keepalive', ttlSeconds === undefined ? {} : { ttlSeconds });
  }

  /** Freezes every process (memory kept); idempotent. Exec and files answer 409 until `resume()`. */
  pause(): Promise<WorkspaceInfo> {
    return this.#update('POST', '/pause');
  }

  resume(): Promise<WorkspaceInfo> {
    return this.#update('POST', '/resume');
  }

  /** Saves the files, then stops the container (`stopping`, then `stopped`); idempotent. */
  delete(): Promise<WorkspaceInfo> {
    return this.#update('DELETE', '');
  }

  /** Polls until `ready` (after `create({ wait: false })`); throws if it ends or fails instead. */
  async waitUntilReady(options: WaitOptions = {}): Promise<WorkspaceInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const info = await this.refresh();
      if (info.status === 'ready') return info;
      if (info.status !== 'provisioning') {
        throw new BerthError(
          `workspace ${this.id} is ${info.status}${info.terminationReason ? ` (${info.terminationReason})` : ''}, not ready`,
        );
      }
      if (Date.now() >= deadline) throw new BerthError(`workspace ${this.id} is still provisioning`);
      await sleep(options.intervalMs ?? 500, options.signal);
    }
  }

  async #update(method: 'GET' | 'POST' | 'DELETE', suffix: string, json?: object): Promise<WorkspaceInfo> {
    this.#info = await this.#http.json<WorkspaceInfo>({
      method,
      path: `${this.#path}${suffix}`,
      ...(json === undefined ? {} : { json }),
      retry: 'safe',
    });
    return this.#info;
  }
}

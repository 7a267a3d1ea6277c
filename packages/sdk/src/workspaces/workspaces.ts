import type { WorkspaceViewPage } from '@berth/protocol/client';
import { callOptions, type CallOptions } from '../http/call-options.js';
import type { Transport } from '../http/transport.js';
import type {
  CreateWorkspaceOptions,
  ListPageOptions,
  ListWorkspacesOptions,
  WorkspaceInfo,
} from './types.js';
import { Workspace } from './workspace.js';
import { WorkspaceHandle } from './workspace-handle.js';

/** One page of `list`, its workspaces as `Workspace` objects. */
export interface WorkspacePage {
  items: Workspace[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/**
 * `berth.workspaces`: find, create and address workspaces. Everything that needs only an id works without
 * asking Berth first: `handle(id)` sends nothing, and `pause(id)`, `resume(id)`, `keepalive(id)` and
 * `delete(id)` are one request each.
 */
export class Workspaces {
  readonly #http: Transport;
  readonly #createMaxRetries: number;

  /** @internal */
  constructor(http: Transport, createMaxRetries: number) {
    this.#http = http;
    this.#createMaxRetries = createMaxRetries;
  }

  /**
   * The conversation's live workspace: a new one, or the one it already has (the same call is idempotent,
   * and safely retried). With `wait` (the default) it answers once ready; a failed start is
   * `503 provision_failed`, and calling again starts a fresh workspace.
   *
   * Admission refusals (`429 quota_exceeded`, `503 capacity` or `unavailable`) change nothing on the server,
   * so they are tried again after `Retry-After`, up to the client's `createMaxRetries` (or this call's
   * `maxRetries`) and never past `timeoutMs` or `signal`; the last refusal is thrown as it came.
   */
  async create(request: CreateWorkspaceOptions, options?: CallOptions): Promise<Workspace> {
    const calls = callOptions(options);
    const info = await this.#http.json<WorkspaceInfo>({
      method: 'POST',
      path: '/v1/workspaces',
      json: request,
      retry: 'safe',
      ...calls,
      maxRetries: calls.maxRetries ?? this.#createMaxRetries,
    });
    return new Workspace(this.#http, info);
  }

  /**
   * A handle on the workspace with this id, made without a request: `commands`, `files`, `agent`, `egress`
   * and the lifecycle calls go straight to it. Use `get` when you want its state first.
   */
  handle(id: string): WorkspaceHandle {
    return new WorkspaceHandle(this.#http, id);
  }

  /**
   * The workspace with its state (one GET). Another tenant's workspace is `404 not_found`, like one that
   * never existed.
   */
  async get(id: string, options?: CallOptions): Promise<Workspace> {
    const info = await this.handle(id).refresh(options);
    return new Workspace(this.#http, info);
  }

  /** One page, as the API answers it; `list` follows the cursor for you. */
  async listPage(options: ListPageOptions & CallOptions = {}): Promise<WorkspacePage> {
    const page = await this.#http.json<WorkspaceViewPage>({
      method: 'GET',
      path: '/v1/workspaces',
      query: { status: options.status, label: options.label, limit: options.limit, cursor: options.cursor },
      retry: 'safe',
      ...callOptions(options),
    });
    return {
      items: page.items.map((info) => new Workspace(this.#http, info)),
      nextCursor: page.nextCursor ?? null,
    };
  }

  /**
   * Every matching workspace, page after page (`limit` is the page size): `for await (const ws of ...)`.
   * `signal` and `timeoutMs` apply to each page's request.
   */
  async *list(options: ListWorkspacesOptions & CallOptions = {}): AsyncGenerator<Workspace, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  // Async, so that a bad id rejects like every other failure instead of throwing.

  /** `202` stopping (files saved first), or the stopped workspace again: deleting is idempotent. */
  async delete(id: string, options?: CallOptions): Promise<WorkspaceInfo> {
    return this.handle(id).delete(options);
  }

  /** Freezes every process of the workspace (memory kept); idempotent. */
  async pause(id: string, options?: CallOptions): Promise<WorkspaceInfo> {
    return this.handle(id).pause(options);
  }

  async resume(id: string, options?: CallOptions): Promise<WorkspaceInfo> {
    return this.handle(id).resume(options);
  }

  /** Extends the lease by `ttlSeconds` (60..86400) from now; default the workspace's own lease length. */
  async keepalive(id: string, ttlSeconds?: number, options?: CallOptions): Promise<WorkspaceInfo> {
    return this.handle(id).keepalive(ttlSeconds, options);
  }
}

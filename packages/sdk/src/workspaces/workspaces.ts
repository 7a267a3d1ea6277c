import { segment, type Transport } from '../http/transport.js';
import type {
  CreateWorkspaceOptions,
  ListPageOptions,
  ListWorkspacesOptions,
  WorkspaceInfo,
} from './types.js';
import { Workspace } from './workspace.js';

export interface WorkspacePage {
  items: Workspace[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** `berth.workspaces`: find, create and delete workspaces. */
export class Workspaces {
  readonly #http: Transport;

  /** @internal */
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * The conversation's live workspace: a new one, or the one it already has (the same call is idempotent,
   * and safely retried). With `wait` (the default) it answers once ready; a failed start is
   * `503 provision_failed`, and calling again starts a fresh workspace.
   */
  async create(options: CreateWorkspaceOptions): Promise<Workspace> {
    const info = await this.#http.json<WorkspaceInfo>({
      method: 'POST',
      path: '/v1/workspaces',
      json: options,
      retry: 'safe',
    });
    return new Workspace(this.#http, info);
  }

  /** Another tenant's workspace is `404 not_found`, like one that never existed. */
  async get(id: string): Promise<Workspace> {
    const info = await this.#http.json<WorkspaceInfo>({
      method: 'GET',
      path: `/v1/workspaces/${segment(id)}`,
      retry: 'safe',
    });
    return new Workspace(this.#http, info);
  }

  /** One page, as the API answers it; `list` follows the cursor for you. */
  async listPage(options: ListPageOptions = {}): Promise<WorkspacePage> {
    const page = await this.#http.json<{ items: WorkspaceInfo[]; nextCursor: string | null }>({
      method: 'GET',
      path: '/v1/workspaces',
      query: { status: options.status, label: options.label, limit: options.limit, cursor: options.cursor },
      retry: 'safe',
    });
    return {
      items: page.items.map((info) => new Workspace(this.#http, info)),
      nextCursor: page.nextCursor ?? null,
    };
  }

  /** Every matching workspace, page after page (`limit` is the page size): `for await (const ws of ...)`. */
  async *list(options: ListWorkspacesOptions = {}): AsyncGenerator<Workspace, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** `202` stopping (files saved first), or the stopped workspace again: deleting is idempotent. */
  delete(id: string): Promise<WorkspaceInfo> {
    return this.#http.json<WorkspaceInfo>({
      method: 'DELETE',
      path: `/v1/workspaces/${segment(id)}`,
      retry: 'safe',
    });
  }
}

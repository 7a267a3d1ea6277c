import type { Transport } from '../http/transport.js';
import type { WorkspaceInfo } from './types.js';
import { WorkspaceHandle } from './workspace-handle.js';

export type { WaitOptions } from './workspace-handle.js';

/**
 * A workspace as Berth last described it (from `create`, `get` or `list`): a `WorkspaceHandle` that also
 * keeps `info`, updated by every answer about it. Cheap: holds no connection.
 */
export class Workspace extends WorkspaceHandle {
  #info: WorkspaceInfo;

  /** @internal Made by `berth.workspaces`. */
  constructor(http: Transport, info: WorkspaceInfo) {
    super(http, info.id);
    this.#info = info;
  }

  /** As of the last answer about this workspace; `refresh()` asks again. */
  get info(): WorkspaceInfo {
    return this.#info;
  }

  get status(): WorkspaceInfo['status'] {
    return this.#info.status;
  }

  protected override observe(info: WorkspaceInfo): void {
    this.#info = info;
  }
}

import { invalidRequest, notFound } from '../errors.js';
import { isValidWorkspaceId } from '../model/ids.js';
import type { WorkspaceRecord, WorkspaceStatus } from '../model/workspace.js';
import type { Page } from '../ports/workspace-store.js';
import type { ServiceDeps } from './deps.js';

/**
 * A workspace of this tenant. Another tenant's id answers exactly like an unknown one (404, never 403), and so
 * does an id that cannot be a workspace id at all, before the store is asked.
 */
export async function getOwnedWorkspace(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  tenantId: string,
  id: string,
): Promise<WorkspaceRecord> {
  if (!isValidWorkspaceId(id)) throw notFound();
  const ws = await deps.store.get(id, { now: deps.clock.now() });
  if (!ws || ws.tenantId !== tenantId) throw notFound();
  return ws;
}

export interface ListWorkspacesInput {
  tenantId: string;
  status?: WorkspaceStatus;
  /** `key:value` */
  label?: string;
  limit: number;
  cursor?: string;
}

export function listWorkspaces(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  input: ListWorkspacesInput,
): Promise<Page<WorkspaceRecord>> {
  let label: { key: string; value: string } | undefined;
  if (input.label !== undefined) {
    const i = input.label.indexOf(':');
    if (i <= 0) throw invalidRequest('label must be key:value');
    label = { key: input.label.slice(0, i), value: input.label.slice(i + 1) };
  }
  return deps.store.list({
    tenantId: input.tenantId,
    status: input.status,
    label,
    limit: input.limit,
    cursor: input.cursor,
    now: deps.clock.now(),
  });
}

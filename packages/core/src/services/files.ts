import { invalidPath } from '../errors.js';
import type { FileRead } from '../ports/agent-client.js';
import { toWorkspaceRelative } from '../workspace-path.js';
import { withAgent } from './agent-target.js';
import type { ServiceDeps } from './deps.js';
import { touchActivity } from './keepalive.js';
import { getOwnedWorkspace } from './workspace-queries.js';

/** Files of a workspace, confined to its root (the agent re-checks against symlinks). */

async function onFile<T>(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  path: unknown,
  call: (target: Parameters<Parameters<typeof withAgent<T>>[2]>[0], rel: string) => Promise<T>,
): Promise<T> {
  const rel = toWorkspaceRelative(deps.config.workspaceRoot, path);
  const ws = await getOwnedWorkspace(deps, tenantId, id);
  const result = await withAgent(deps, ws, (t) => call(t, rel));
  void touchActivity(deps, ws);
  return result;
}

export const readWorkspaceFile = (deps: ServiceDeps, tenantId: string, id: string, path: unknown) =>
  onFile<FileRead>(deps, tenantId, id, path, (t, rel) => deps.agent.readFile(t, rel));

export const writeWorkspaceFile = (
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  path: unknown,
  body: Buffer,
) => onFile<void>(deps, tenantId, id, path, (t, rel) => deps.agent.writeFile(t, rel, body));

export const deleteWorkspaceFile = (deps: ServiceDeps, tenantId: string, id: string, path: unknown) =>
  onFile<void>(deps, tenantId, id, path, (t, rel) => {
    if (rel === '.') throw invalidPath('the workspace root itself cannot be deleted');
    return deps.agent.deleteFile(t, rel);
  });

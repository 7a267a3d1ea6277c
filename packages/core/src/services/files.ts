import { invalidPath } from '../errors.js';
import type { WorkspaceAgentTarget, FileRead } from '../ports/workspace-agent-client.js';
import { toWorkspaceRelative } from '../workspace-path.js';
import { callWorkspaceAgent } from './workspace-agent-target.js';
import type { ServiceDeps } from './deps.js';

/** Files of a workspace, confined to its root (the agent re-checks against symlinks). */

async function onFile<T>(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  path: unknown,
  call: (target: WorkspaceAgentTarget, rel: string) => Promise<T>,
): Promise<T> {
  const rel = toWorkspaceRelative(deps.config.workspaceRoot, path);
  return callWorkspaceAgent(deps, tenantId, id, (t) => call(t, rel));
}

export const readWorkspaceFile = (deps: ServiceDeps, tenantId: string, id: string, path: unknown) =>
  onFile<FileRead>(deps, tenantId, id, path, (t, rel) => deps.workspaceAgent.readFile(t, rel));

export const writeWorkspaceFile = (
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  path: unknown,
  body: Buffer,
) => onFile<void>(deps, tenantId, id, path, (t, rel) => deps.workspaceAgent.writeFile(t, rel, body));

export const deleteWorkspaceFile = (deps: ServiceDeps, tenantId: string, id: string, path: unknown) =>
  onFile<void>(deps, tenantId, id, path, (t, rel) => {
    if (rel === '.') throw invalidPath('the workspace root itself cannot be deleted');
    return deps.workspaceAgent.deleteFile(t, rel);
  });

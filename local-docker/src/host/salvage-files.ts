import { spawn } from 'node:child_process';
import { snapshotKey, type ServiceDeps } from '@berth/core';

/**
 * A workspace container that died on its own (killed, OOM, crash) can no longer be asked for its files, but
 * locally they are still on the host: the files dir is a bind mount that outlives the container. Before the
 * workspace is marked failed, this saves that dir as the conversation's snapshot (the same tar the agent's
 * archive endpoint makes), so the conversation's next workspace restores what was there at the crash
 * (ARCHITECTURE.md §3), not only what the last delete synced. Returns whether a snapshot was written.
 */
export async function salvageFiles(
  deps: Pick<ServiceDeps, 'store' | 'blobs' | 'clock'>,
  filesDirOf: (workspaceId: string) => string,
  workspaceId: string | null,
  taskRef: string,
): Promise<boolean> {
  if (!workspaceId) return false;
  const ws = await deps.store.get(workspaceId, { now: deps.clock.now(), includeExpired: true });
  if (!ws || ws.taskRef !== taskRef) return false;
  // Ready/paused: it died under a live workspace. Failed (not while provisioning): a request noticed first.
  // Stopping/stopped synced through the agent already; a provisioning one has nothing of its own yet.
  const died =
    ws.status === 'ready' ||
    ws.status === 'paused' ||
    (ws.status === 'failed' && !ws.terminationReason?.startsWith('provision_failed'));
  if (!died) return false;
  // A successor already bound to the conversation restored from the snapshot: leave it alone.
  const binding = await deps.store.getBinding(ws.tenantId, ws.conversationId);
  if (binding && binding.workspaceId !== ws.id) return false;
  const tar = await tarDirectory(filesDirOf(ws.id));
  await deps.blobs.put(snapshotKey(ws.tenantId, ws.conversationId), tar);
  return true;
}

/** `tar -C dir -cf - .`, exactly what the agent's GET /files/archive produces. */
function tarDirectory(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`tar of ${dir} failed (${code}): ${err.trim()}`)),
    );
  });
}

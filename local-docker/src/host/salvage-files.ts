import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { saveSnapshot, type ServiceDeps } from '@berth/core';

/**
 * A workspace container that died on its own (killed, OOM, crash) can no longer be asked for its files, but
 * locally they are still on the host: the files dir is a bind mount that outlives the container. Before the
 * workspace is marked failed, this saves that dir as the conversation's snapshot (the same tar the agent's
 * archive endpoint makes), so the conversation's next workspace restores what was there at the crash
 * (ARCHITECTURE.md §3), not only what the last delete synced. Returns whether a snapshot was written.
 */
export async function salvageFiles(
  deps: Pick<ServiceDeps, 'store' | 'blobs' | 'clock' | 'log' | 'metrics'>,
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
  await saveSnapshot(deps, ws, tarDirectory(filesDirOf(ws.id)));
  return true;
}

/**
 * `tar -C dir -cf - .`, exactly what the agent's GET /files/archive produces, as a stream: it fails if tar
 * cannot start or exits with an error (1, files changed while read, still makes a complete archive).
 */
function tarDirectory(dir: string): Readable {
  const child = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    if (err.length < 4096) err += c.toString('utf8');
  });
  child.on('error', (e) => out.destroy(e));
  child.stdout.pipe(out, { end: false });
  // 'close' comes after stdout has ended, so every byte is in `out` before it ends or fails.
  child.on('close', (code) => {
    if (code === 0 || code === 1) out.end();
    else out.destroy(new Error(`tar of ${dir} failed (${code}): ${err.trim()}`));
  });
  out.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return out;
}

import { METRIC, endWorkspace, type ServiceDeps } from '@berth/core';

/** The end reason of a provisioning that ran in a Berth process that died (crash, SIGKILL, power loss). */
export const HOST_RESTARTED = 'provision_failed:host_restarted' as const;

/**
 * Locally each provisioning runs inside the Berth process (LocalProvisioner), so a provisioning workspace
 * found at start had its state machine die with the previous process: nothing will ever move it on, and
 * waiting for its deadline would block its conversation for minutes. Every one is failed at once (a
 * conditional write: one that moved on meanwhile is left alone) and any container it got is stopped, also
 * one started before its taskRef was recorded (found by its workspace label). Failing rather than resuming
 * is deliberate: the next create of the conversation starts a fresh workspace with its files restored, which
 * is what a resume would do at best. Call it before serving and before any provisioning of this process starts.
 * Returns the ids it failed.
 */
export async function failInterruptedProvisioning(deps: ServiceDeps): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listLive(100, cursor);
    for (const ws of page.items) if (ws.status === 'provisioning') found.push(ws.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (found.length === 0) return [];

  const failed = new Set<string>();
  await Promise.all(
    found.map(async (id) => {
      try {
        const ws = await endWorkspace(deps, id, 'failed', HOST_RESTARTED, {
          onlyIf: (fresh) => fresh.status === 'provisioning',
        });
        if (ws.terminationReason === HOST_RESTARTED) failed.add(id);
      } catch (e) {
        // One bad record must not keep the host from starting; the sweep's deadline still covers it.
        deps.log.error('failing an interrupted provisioning failed', { workspaceId: id, error: String(e) });
      }
    }),
  );
  // A container started just before the crash may not be recorded on its workspace yet.
  const leftovers = (await deps.runtime.list()).filter(
    (t) => t.workspaceId !== null && failed.has(t.workspaceId) && t.state !== 'missing',
  );
  await Promise.all(
    leftovers.map((t) =>
      deps.runtime.stop(t.taskRef, HOST_RESTARTED).catch((e: unknown) =>
        deps.log.error('stopping the container of an interrupted provisioning failed', {
          workspaceId: t.workspaceId,
          error: String(e),
        }),
      ),
    ),
  );
  if (failed.size > 0) {
    deps.metrics.count(METRIC.ProvisionFailed, failed.size);
    deps.log.warn('provisionings interrupted by a host restart failed', {
      workspaceIds: [...failed],
      reason: HOST_RESTARTED,
    });
  }
  return [...failed];
}

import { rm } from 'node:fs/promises';
import Dockerode from 'dockerode';
import { managedFilter } from '../../local-docker/src/runtime/labels.js';
import { unmountAllUnder } from '../../local-docker/src/runtime/workspace-disk.js';

/** Removes containers (with their anonymous volumes), whatever state they are in; a gone one is fine. */
export async function removeContainers(docker: Dockerode, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
}

/**
 * What a test's Berth leaves behind: every container under its label prefix, then its state dir. The
 * workspaces' disks are loop mounts under the state dir, which `rm -r` cannot remove: unmounted first.
 */
export async function removeBerthLeftovers(opts: {
  labelPrefix: string;
  stateDir: string | undefined;
  docker?: Dockerode;
}): Promise<void> {
  const docker = opts.docker ?? new Dockerode();
  const ours = await docker.listContainers({
    all: true,
    filters: { label: [managedFilter(opts.labelPrefix)] },
  });
  await removeContainers(
    docker,
    ours.map((c) => c.Id),
  );
  if (!opts.stateDir) return;
  await unmountAllUnder(opts.stateDir);
  await rm(opts.stateDir, { recursive: true, force: true }).catch(() => undefined);
}

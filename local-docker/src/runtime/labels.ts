import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** Label keys Berth puts on every workspace container; the prefix is configurable so tests can isolate. */
export interface BerthLabels {
  managed: string;
  /** Which Berth the container belongs to (see instanceOf). */
  instance: string;
  workspaceId: string;
  tenantId: string;
  template: string;
}

export const DEFAULT_LABEL_PREFIX = 'dev.berth';

export const labelKeys = (prefix: string = DEFAULT_LABEL_PREFIX): BerthLabels => ({
  managed: `${prefix}.managed`,
  instance: `${prefix}.instance`,
  workspaceId: `${prefix}.workspace-id`,
  tenantId: `${prefix}.tenant-id`,
  template: `${prefix}.template`,
});

/** The `label=` filter value that selects Berth's containers (list, events, cleanup). */
export const managedFilter = (prefix: string = DEFAULT_LABEL_PREFIX) => `${labelKeys(prefix).managed}=true`;

/**
 * One Berth = one state dir (its table, its files): the instance id is a hash of the dir's real path. Two
 * local Berths on one Docker engine (two checkouts, say) share the label prefix but not the instance, so
 * neither lists, follows or sweeps away the other's containers.
 */
export function instanceOf(stateDir: string): string {
  let dir = resolve(stateDir);
  try {
    dir = realpathSync(dir);
  } catch {
    // Not created yet: its resolved path names it as well.
  }
  return createHash('sha256').update(dir).digest('hex').slice(0, 12);
}

/**
 * A container of this Berth: managed under `prefix`, and of `instance` (undefined: of any). Containers made
 * before instance labels existed have none and count as this instance's, as they did then.
 */
export function isOwned(
  labels: Record<string, string> | undefined,
  prefix: string,
  instance: string | undefined,
): boolean {
  const keys = labelKeys(prefix);
  if (labels?.[keys.managed] !== 'true') return false;
  const owner = labels[keys.instance];
  return instance === undefined || owner === undefined || owner === instance;
}

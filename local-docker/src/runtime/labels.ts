/** Label keys Berth puts on every workspace container; the prefix is configurable so tests can isolate. */
export interface BerthLabels {
  managed: string;
  workspaceId: string;
  tenantId: string;
  template: string;
}

export const DEFAULT_LABEL_PREFIX = 'dev.berth';

export const labelKeys = (prefix: string = DEFAULT_LABEL_PREFIX): BerthLabels => ({
  managed: `${prefix}.managed`,
  workspaceId: `${prefix}.workspace-id`,
  tenantId: `${prefix}.tenant-id`,
  template: `${prefix}.template`,
});

/** The `label=` filter value that selects Berth's containers (list, events, cleanup). */
export const managedFilter = (prefix: string = DEFAULT_LABEL_PREFIX) => `${labelKeys(prefix).managed}=true`;

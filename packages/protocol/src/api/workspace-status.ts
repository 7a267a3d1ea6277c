/** Lifecycle states of a workspace (ARCHITECTURE.md §3), as the API shows them and `?status=` filters. */
export const WORKSPACE_STATUSES = [
  'provisioning',
  'ready',
  'paused',
  'stopping',
  'stopped',
  'failed',
] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];

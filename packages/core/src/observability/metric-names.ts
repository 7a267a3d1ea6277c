/**
 * Every metric Berth emits (EMF, namespace `Berth`; Powertools adds a `service` dimension per function). The
 * services, the handlers and the Observability stack's dashboard and alarms all use these names, so a
 * renamed metric cannot silently leave a widget empty.
 */
export const METRIC_NAMESPACE = 'Berth';

export const METRIC = {
  // Workspace lifecycle
  WorkspaceCreated: 'WorkspaceCreated',
  WorkspaceStopped: 'WorkspaceStopped',
  WorkspaceFailed: 'WorkspaceFailed',
  AcquireLatency: 'AcquireLatency',
  ProvisionLatency: 'ProvisionLatency',
  ProvisionFailed: 'ProvisionFailed',
  ProvisionStepRuns: 'ProvisionStepRuns',
  // Work in a workspace
  CommandLatency: 'CommandLatency',
  FileSyncLatency: 'FileSyncLatency',
  FileSyncFailed: 'FileSyncFailed',
  /** Bytes of every snapshot tar saved (count metric, summed). */
  SnapshotBytes: 'SnapshotBytes',
  /** Restores that did not match their snapshot's manifest (the workspace failed `restore_incomplete`). */
  RestoreIncomplete: 'RestoreIncomplete',
  // Large files through presigned URLs (uploads completed, downloads staged)
  /** Bytes moved between object storage and a workspace (count metric, summed). */
  FileTransferBytes: 'FileTransferBytes',
  FileTransferLatency: 'FileTransferLatency',
  // Agent runs (POST /execute)
  AgentRuns: 'AgentRuns',
  AgentRunFileSyncs: 'AgentRunFileSyncs',
  /** From the request to the end of the run's stream (final file sync included). */
  AgentRunLatency: 'AgentRunLatency',
  // Containers dying under a workspace
  TaskStateEvents: 'TaskStateEvents',
  TaskOomKilled: 'TaskOomKilled',
  TaskCrashed: 'TaskCrashed',
  // Garbage collection
  SweepExpired: 'SweepExpired',
  SweepOrphans: 'SweepOrphans',
  SweepErrors: 'SweepErrors',
  /** A store, blob store or runtime call past its deadline or unreachable (the log line names which). */
  DependencyUnavailable: 'DependencyUnavailable',
  // Public API
  ApiRequests: 'ApiRequests',
  ApiLatency: 'ApiLatency',
  ApiClientErrors: 'ApiClientErrors',
  ApiServerErrors: 'ApiServerErrors',
  // Egress proxy (proxy-sidecar, service `proxy-sidecar`)
  ProxyRequests: 'requests',
  ProxyBlocked: 'blocked',
  ProxyUpstreamErrors: 'upstreamErrors',
  ProxyLatency: 'latency',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The `service` dimension (Powertools serviceName) of each emitter. */
export const SERVICE = {
  api: 'berth-api',
  provision: 'berth-provision',
  taskState: 'berth-task-state',
  sweep: 'berth-sweep',
  /** The stop worker: files saved, container stopped, record ended (deployed: off the API's and sweep's path). */
  stop: 'berth-stop',
  proxy: 'proxy-sidecar',
  /** The shared egress gateway on ECS (proxy-sidecar/src/gateway/main.ts): the proxy's metrics, for every workspace. */
  egressGateway: 'berth-egress-gateway',
} as const;

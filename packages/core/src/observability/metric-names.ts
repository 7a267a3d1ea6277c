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
  // Warm pool (all templates together: the services' metrics carry no dimension but `service`)
  /** A create served by a warm member. */
  PoolClaims: 'PoolClaims',
  /** A create the pool could not serve (empty, or every member taken): a cold start. */
  PoolMisses: 'PoolMisses',
  /** Warm members at the end of a refill (count metric, one per template per refill: take its average). */
  PoolWarm: 'PoolWarm',
  /** The adaptive target at the end of a refill, and its inputs: the busiest minute's creates/s. */
  PoolTarget: 'PoolTarget',
  PoolDemandPeakRate: 'PoolDemandPeakRate',
  /** Members started by refills. */
  PoolRefillStarts: 'PoolRefillStarts',
  /** Members drained (too old, older template or image). */
  PoolDrained: 'PoolDrained',
  /** From claim to ready (resume, identity, files restored). */
  PoolClaimLatency: 'PoolClaimLatency',
  // Admission control
  /** Creates refused: 429 quota_exceeded or 503 capacity (dimension-free; the log line says which). */
  AdmissionRefused: 'AdmissionRefused',
  /** Starts that found the shared RunTask token bucket empty (they wait or retry). */
  RunTaskThrottled: 'RunTaskThrottled',
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
  /** The warm pools' refill (schedule and after claims): the pool gauges, refill starts and drains. */
  poolRefill: 'berth-pool-refill',
  /** The stop worker: files saved, container stopped, record ended (deployed: off the API's and sweep's path). */
  stop: 'berth-stop',
  proxy: 'proxy-sidecar',
  /** The shared egress gateway on ECS (proxy-sidecar/src/gateway/main.ts): the proxy's metrics, for every workspace. */
  egressGateway: 'berth-egress-gateway',
} as const;

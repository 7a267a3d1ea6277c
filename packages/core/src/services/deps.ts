import type { BerthConfig } from '../config.js';
import type { MetricName } from '../observability/metric-names.js';
import type { AgentTokenIssuer } from '../ports/agent-token-issuer.js';
import type { WorkspaceAgentClient } from '../ports/workspace-agent-client.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Clock } from '../ports/clock.js';
import type { ContainerRuntime } from '../ports/container-runtime.js';
import type { EgressController } from '../ports/egress-controller.js';
import type { PoolRefiller } from '../ports/pool-refiller.js';
import type { Provisioner } from '../ports/provisioner.js';
import type { StartGate } from '../ports/start-gate.js';
import type { Stopper } from '../ports/stopper.js';
import type { WorkspaceStore } from '../ports/workspace-store.js';

/** Structured logging as the services need it; Powertools' Logger fits this shape. */
export interface ServiceLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Named counters the services emit; the functions layer turns them into Powertools metrics (EMF). */
export interface ServiceMetrics {
  count(name: MetricName, value?: number): void;
  duration(name: MetricName, ms: number): void;
}

/** Everything a service may touch: ports only, so the same service runs on Lambda and on a laptop. */
export interface ServiceDeps {
  store: WorkspaceStore;
  runtime: ContainerRuntime;
  blobs: BlobStore;
  workspaceAgent: WorkspaceAgentClient;
  /** Signs the token each call to an agent carries (nothing secret is stored with a workspace). */
  agentTokens: AgentTokenIssuer;
  provisioner: Provisioner;
  clock: Clock;
  config: BerthConfig;
  log: ServiceLogger;
  metrics: ServiceMetrics;
  /** Pushes per-workspace egress rules to the proxy; absent where no proxy is wired (PUT /egress → 422). */
  egress?: EgressController;
  /** Cold starts wait here for their turn (FIFO); absent: every start goes at once, and nothing is refused. */
  startGate?: StartGate;
  /** Asks for a pool refill after a claim or a miss; absent: only the schedule refills. */
  poolRefiller?: PoolRefiller;
  /** Finishes stops and hibernations: deployed the stop worker (SQS), locally in process (stop-worker.ts). */
  stopper: Stopper;
}

export const silentLogger: ServiceLogger = { info() {}, warn() {}, error() {} };
export const noMetrics: ServiceMetrics = { count() {}, duration() {} };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

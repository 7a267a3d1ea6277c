import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { AuditSink } from '../audit.js';
import type { ProxyLimits } from '../config.js';
import type { ProxyMetrics } from '../metrics.js';
import type { PolicySnapshot } from '../policy/policy-store.js';
import type { Resolver } from '../policy/resolver.js';
import type { Stats } from '../stats.js';

/** Where a request's policy comes from (a PolicyStore, or one snapshot the gateway looked up). */
export interface PolicyView {
  current(): PolicySnapshot;
}

/**
 * Whose request it is and which policy judges it. The sidecar has one scope for its whole life; the
 * gateway makes one per request from the request's proxy credential.
 */
export interface WorkspaceScope {
  workspaceId: string;
  /** The workspace's tenant; only the gateway knows it (written into audit lines). */
  tenantId?: string;
  policy: PolicyView;
  /**
   * Handles a request read inside an injected tunnel opened under this scope; default: handleHttpRequest
   * with the same context. The gateway looks the policy up again for each one, so a change (or an ended
   * workspace) reaches long-lived tunnels too.
   */
  tunnelRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** What every request of one listener shares: limits, DNS, pools, audit, metrics, counters. */
export interface SharedContext {
  allowLoopback: boolean;
  limits: ProxyLimits;
  resolve: Resolver;
  audit: AuditSink;
  metrics: ProxyMetrics;
  stats: Stats;
  /** Keep-alive pools for upstream connections (keyed by IP, port and SNI name). */
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  /** Open tunnels' sockets, so close() can end them. */
  tunnelSockets: Set<Socket>;
}

/** Everything a forwarded request or tunnel works with. */
export interface ProxyContext extends SharedContext, WorkspaceScope {}

/** Builds the shared part; the upstream pools are keyed by address, so workspaces may share them. */
export function createSharedContext(
  settings: Pick<SharedContext, 'allowLoopback' | 'limits' | 'resolve' | 'audit' | 'metrics' | 'stats'>,
): SharedContext {
  const agentOptions = {
    keepAlive: true,
    maxFreeSockets: 64,
    scheduling: 'lifo' as const,
    timeout: settings.limits.idleTimeoutMs,
  };
  return {
    ...settings,
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    tunnelSockets: new Set<Socket>(),
  };
}

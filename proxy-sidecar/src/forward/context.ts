import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { AuditSink } from '../audit.js';
import type { ProxyLimits } from '../config.js';
import type { ProxyMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Resolver } from '../policy/resolver.js';
import type { Stats } from '../stats.js';

/** Shared state every forwarded request and tunnel works with. */
export interface ProxyContext {
  workspaceId: string;
  allowLoopback: boolean;
  limits: ProxyLimits;
  policy: PolicyStore;
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

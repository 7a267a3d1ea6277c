import type { KeyObject } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { createLogger, loggerAuditSink } from '../audit.js';
import type { ProxyLimits } from '../config.js';
import { handleConnect } from '../forward/connect-tunnel.js';
import type { ProxyContext } from '../forward/context.js';
import { createSharedContext } from '../forward/context.js';
import { handleHttpRequest } from '../forward/http-forward.js';
import type { ListenAddress } from '../listen-address.js';
import { listenOn } from '../listen-address.js';
import { emfMetrics } from '../metrics.js';
import { staticResolver, systemResolver } from '../policy/resolver.js';
import type { StartOptions } from '../proxy.js';
import { closeServer, createProxyListener } from '../proxy-listener.js';
import type { StatsSnapshot } from '../stats.js';
import { Stats } from '../stats.js';
import type { Admission } from './admission.js';
import { createAdmission } from './admission.js';
import { refuseConnect, refuseRequest } from './refusal-reply.js';
import type { CompiledWorkspacePolicy, WorkspacePolicySource } from './workspace-policies.js';
import { cachedPolicies } from './workspace-policies.js';

/** Everything the egress gateway needs to start (built by hand; no environment parsing yet). */
export interface GatewayConfig {
  /** Where workspaces reach the gateway (TCP or `unix:` socket). */
  listen: ListenAddress;
  /** The control plane's Ed25519 public key: every request's proxy credential must be signed by it. */
  credentialPublicKey: KeyObject;
  /** Test-only: allow loopback upstreams (never private ranges or metadata). */
  allowLoopback: boolean;
  /** Test-only DNS table that replaces DNS entirely; null uses the system resolver. */
  testHosts: Record<string, string[]> | null;
  limits: ProxyLimits;
  /** How long a workspace's policy is used before it is read again (default 1 s), and how many are held. */
  policyCache?: { ttlMs?: number; maxEntries?: number };
  /** How often EMF metrics are flushed to stdout. */
  metricsFlushIntervalMs: number;
  /** File mode for a Unix socket listener. */
  socketMode: number;
}

/** The sidecar's hooks, plus where workspaces' policies come from. */
export interface GatewayOptions extends StartOptions {
  policies: WorkspacePolicySource;
  /** Milliseconds; the clock credentials and the policy cache are judged by (default Date.now). */
  clock?: () => number;
}

/** A started gateway. */
export interface RunningGateway {
  /** The bound address (a TCP port of 0 is replaced by the real one). */
  address: ListenAddress;
  stats(): StatsSnapshot;
  /** Stops listening, ends open requests and tunnels, flushes metrics. */
  close(): Promise<void>;
}

/**
 * Starts the egress gateway: the sidecar's forwarding code as a shared service. Each request (plain HTTP
 * or CONNECT) names its workspace with a signed proxy credential, and is then forwarded exactly as that
 * workspace's sidecar would (allowlist, address guard, injection). Pools, metrics and counters are shared;
 * the workspace, tenant and policy are the request's own.
 */
export async function startGateway(config: GatewayConfig, options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? Date.now;
  const metrics = options.metrics ?? emfMetrics();
  const stats = new Stats();
  const shared = createSharedContext({
    allowLoopback: config.allowLoopback,
    limits: config.limits,
    resolve: options.resolve ?? (config.testHosts ? staticResolver(config.testHosts) : systemResolver),
    audit: options.audit ?? loggerAuditSink(logger),
    metrics,
    stats,
  });
  const policies = cachedPolicies(options.policies, {
    credentials: options.credentials ?? fromNodeProviderChain(),
    ttlMs: config.policyCache?.ttlMs,
    maxEntries: config.policyCache?.maxEntries,
    clock,
  });
  const admission = createAdmission(config.credentialPublicKey, policies, clock);

  // One context per compiled policy: requests of a workspace within one TTL share it.
  const contexts = new WeakMap<CompiledWorkspacePolicy, ProxyContext>();
  const contextFor = (workspace: CompiledWorkspacePolicy): ProxyContext => {
    let ctx = contexts.get(workspace);
    if (!ctx) {
      ctx = {
        ...shared,
        workspaceId: workspace.workspaceId,
        tenantId: workspace.tenantId,
        policy: { current: () => workspace.snapshot },
        // Requests inside an injected tunnel carry no credential: the tunnel's workspace, its policy now.
        tunnelRequest: (req, res) => serve(admission.lookup(workspace.workspaceId), req, res),
      };
      contexts.set(workspace, ctx);
    }
    return ctx;
  };

  function serve(admitted: Promise<Admission>, req: IncomingMessage, res: ServerResponse): void {
    let gone = false;
    res.once('close', () => (gone = true));
    void admitted.then((result) => {
      if (!result.ok)
        return refuseRequest(shared, req, res, result.workspaceId, gone ? null : result.refusal);
      if (gone) return refuseRequest(shared, req, res, result.workspace.workspaceId, null);
      handleHttpRequest(contextFor(result.workspace), req, res);
    });
  }

  const server = createProxyListener(config.limits);
  server.on('request', (req, res) => serve(admission.admit(req), req, res));
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Nothing else listens to this socket until the tunnel code takes it over.
    socket.on('error', () => undefined);
    void admission.admit(req).then((result) => {
      if (!result.ok) return refuseConnect(shared, req, socket, result.workspaceId, result.refusal);
      if (socket.destroyed) return refuseConnect(shared, req, socket, result.workspace.workspaceId, null);
      handleConnect(contextFor(result.workspace), req, socket, head);
    });
  });
  const address = await listenOn(server, config.listen, config.socketMode);

  const flushTimer = setInterval(() => metrics.flush(), config.metricsFlushIntervalMs);
  flushTimer.unref();

  let closing: Promise<void> | null = null;
  return {
    address,
    stats: () => stats.snapshot(0),
    close() {
      closing ??= (async () => {
        clearInterval(flushTimer);
        for (const socket of shared.tunnelSockets) socket.destroy();
        await closeServer(server);
        shared.httpAgent.destroy();
        shared.httpsAgent.destroy();
        if (address.kind === 'unix') await unlink(address.path).catch(() => undefined);
        metrics.flush();
      })();
      return closing;
    },
  };
}

import type { Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AuditSink } from './audit.js';
import { createLogger, loggerAuditSink } from './audit.js';
import type { ProxyConfig } from './config.js';
import { handleConnect } from './forward/connect-tunnel.js';
import type { ProxyContext } from './forward/context.js';
import { createSharedContext } from './forward/context.js';
import { handleHttpRequest } from './forward/http-forward.js';
import type { AwsCredentialsProvider } from './inject/bedrock-sigv4.js';
import type { ListenAddress } from './listen-address.js';
import { listenOn } from './listen-address.js';
import type { ProxyMetrics } from './metrics.js';
import { closeServer, createProxyListener } from './proxy-listener.js';
import { emfMetrics } from './metrics.js';
import { PolicyStore } from './policy/policy-store.js';
import type { Resolver } from './policy/resolver.js';
import { staticResolver, systemResolver } from './policy/resolver.js';
import type { StatsSnapshot } from './stats.js';
import { Stats } from './stats.js';

/** Programmatic hooks for embedding the proxy (the local Docker host) and for tests. */
export interface StartOptions {
  /** Replaces DNS (takes precedence over `config.testHosts`). */
  resolve?: Resolver;
  /** AWS credentials for Bedrock signing; default: the SDK's default provider chain. */
  credentials?: AwsCredentialsProvider;
  /** Where audit lines go; default: JSON lines through Powertools Logger on stdout. */
  audit?: AuditSink;
  /** Where metrics go; default: EMF through Powertools Metrics on stdout. */
  metrics?: ProxyMetrics;
  /** Process-level logger; default: a Powertools Logger for service `proxy-sidecar`. */
  logger?: Logger;
}

/** A started proxy. */
export interface RunningProxy {
  /** The bound proxy address (a TCP port of 0 is replaced by the real one). */
  address: ListenAddress;
  /** The live policy: its owner (the local host) replaces it here; the proxy has no admin API. */
  policy: PolicyStore;
  stats(): StatsSnapshot;
  /** Stops listening, ends open requests and tunnels, flushes metrics. */
  close(): Promise<void>;
}

/** Starts the proxy listener. */
export async function startProxy(config: ProxyConfig, options: StartOptions = {}): Promise<RunningProxy> {
  const logger = options.logger ?? createLogger();
  const credentials = options.credentials ?? fromNodeProviderChain();
  const policy = new PolicyStore(config.policy, credentials);
  const stats = new Stats();
  const metrics = options.metrics ?? emfMetrics();
  const resolve = options.resolve ?? (config.testHosts ? staticResolver(config.testHosts) : systemResolver);
  const ctx: ProxyContext = {
    ...createSharedContext({
      allowLoopback: config.allowLoopback,
      limits: config.limits,
      resolve,
      audit: options.audit ?? loggerAuditSink(logger),
      metrics,
      stats,
    }),
    workspaceId: config.workspaceId,
    policy,
  };

  const proxyServer = createProxyListener(config.limits);
  proxyServer.on('request', (req, res) => handleHttpRequest(ctx, req, res));
  proxyServer.on('connect', (req, socket: Socket, head: Buffer) => handleConnect(ctx, req, socket, head));
  const address = await listenOn(proxyServer, config.listen, config.socketMode);

  const flushTimer = setInterval(() => metrics.flush(), config.metricsFlushIntervalMs);
  flushTimer.unref();

  let closing: Promise<void> | null = null;
  return {
    address,
    policy,
    stats: () => stats.snapshot(policy.current().version),
    close() {
      closing ??= (async () => {
        clearInterval(flushTimer);
        for (const socket of ctx.tunnelSockets) socket.destroy();
        await closeServer(proxyServer);
        ctx.httpAgent.destroy();
        ctx.httpsAgent.destroy();
        if (address.kind === 'unix') await unlink(address.path).catch(() => undefined);
        metrics.flush();
      })();
      return closing;
    },
  };
}

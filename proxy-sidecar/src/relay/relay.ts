import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createLogger } from '../audit.js';
import type { ListenAddress } from '../listen-address.js';
import { listenOn } from '../listen-address.js';
import { closeServer, createProxyListener } from '../proxy-listener.js';
import { createRelayAdminServer } from './admin-api.js';
import { relayConnect } from './connect-relay.js';
import { relayHttpRequest } from './http-relay.js';
import { ProxyCredentialHolder } from './proxy-credential-holder.js';
import type { RelayConfig } from './relay-config.js';
import type { RelayContext } from './relay-context.js';

/** Hooks for tests. */
export interface RelayOptions {
  /** Process-level logger; default: a Powertools Logger for service `proxy-sidecar`. */
  logger?: Logger;
  /** Milliseconds; the clock tokens and the held credential are judged by (default Date.now). */
  clock?: () => number;
}

/** A started relay. */
export interface RunningRelay {
  /** The bound proxy address (a TCP port of 0 is replaced by the real one). */
  address: ListenAddress;
  /** The bound admin address. */
  adminApiAddress: ListenAddress;
  /** Stops both listeners and ends open requests and tunnels. */
  close(): Promise<void>;
}

/**
 * Starts the relay: the workspace task's sidecar on ECS, where policy is the shared egress gateway's. It
 * forwards every proxy request and tunnel of the workspace to the gateway with the workspace's proxy
 * credential, which only the relay holds (the control plane hands it over through the admin API), and
 * judges nothing itself: the gateway allows, refuses, injects and audits.
 */
export async function startRelay(config: RelayConfig, options: RelayOptions = {}): Promise<RunningRelay> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? Date.now;
  const credential = new ProxyCredentialHolder(config.tokenPublicKey, config.workspaceId);
  const ctx: RelayContext = {
    gateway: config.gateway,
    limits: config.limits,
    credential: () => credential.current(Math.floor(clock() / 1000)),
    agent: new Agent({
      keepAlive: true,
      maxFreeSockets: 16,
      scheduling: 'lifo',
      timeout: config.limits.idleTimeoutMs,
    }),
    tunnels: new Set<Socket>(),
    logger,
  };

  const proxyServer = createProxyListener(config.limits);
  proxyServer.on('request', (req, res) => relayHttpRequest(ctx, req, res));
  proxyServer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    relayConnect(ctx, req, socket, head),
  );
  const adminServer = createRelayAdminServer({
    workspaceId: config.workspaceId,
    publicKey: config.tokenPublicKey,
    credential,
    clock,
    logger,
  });

  const address = await listenOn(proxyServer, config.listen, config.socketMode);
  let adminApiAddress: ListenAddress;
  try {
    adminApiAddress = await listenOn(adminServer, config.adminListen, config.socketMode);
  } catch (error) {
    await closeServer(proxyServer);
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    address,
    adminApiAddress,
    close() {
      closing ??= (async () => {
        for (const socket of ctx.tunnels) socket.destroy();
        await Promise.all([closeServer(proxyServer), closeServer(adminServer)]);
        ctx.agent.destroy();
        for (const bound of [address, adminApiAddress]) {
          if (bound.kind === 'unix') await unlink(bound.path).catch(() => undefined);
        }
      })();
      return closing;
    },
  };
}

import type { KeyObject } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import type { RelayConfig, RunningRelay } from '../../src/index.js';
import { startRelay } from '../../src/index.js';
import { egressToken } from '../helpers/gateway.js';

/** A log call the relay made. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: unknown[];
}

/** A Logger stand-in that keeps every call, so tests can read what the relay logged. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, ...attributes: unknown[]) =>
      lines.push({ level, message, attributes });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger: logger as unknown as Logger, lines };
}

/**
 * A TCP hop in front of the gateway that counts connections and can cut them all: proves whether the
 * relay contacted the gateway at all, and plays a gateway that resets.
 */
export interface GatewayHop {
  port: number;
  connections: number;
  resetAll(): void;
  close(): Promise<void>;
}

export async function startGatewayHop(gatewayPort: number): Promise<GatewayHop> {
  const open = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    const onward = connect(gatewayPort, '127.0.0.1');
    open.add(socket);
    open.add(onward);
    // Ends pass on as ends (pending bytes still go out); errors and resets pass on as resets.
    socket.on('error', () => onward.resetAndDestroy());
    onward.on('error', () => socket.resetAndDestroy());
    socket.once('close', () => open.delete(socket));
    onward.once('close', () => open.delete(onward));
    socket.pipe(onward);
    onward.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    resetAll() {
      for (const socket of open) socket.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An in-process relay on ephemeral loopback ports, its log kept, its clock movable. */
export interface TestRelay extends RunningRelay {
  port: number;
  adminPort: number;
  log: LogLine[];
  /** Moves the relay's clock (seconds, added to the real time). */
  advance(seconds: number): void;
}

export const RELAY_WORKSPACE = 'ws_relay';

export async function startTestRelay(
  publicKey: KeyObject,
  gatewayPort: number,
  overrides: Partial<RelayConfig> = {},
): Promise<TestRelay> {
  const { logger, lines } = recordingLogger();
  let offsetMs = 0;
  const relay = await startRelay(
    {
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      adminListen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      workspaceId: RELAY_WORKSPACE,
      tokenPublicKey: publicKey,
      gateway: { host: '127.0.0.1', port: gatewayPort },
      limits: {
        maxHeaderBytes: 16 * 1024,
        headersTimeoutMs: 5_000,
        connectTimeoutMs: 2_000,
        idleTimeoutMs: 10_000,
      },
      socketMode: 0o666,
      ...overrides,
    },
    { logger, clock: () => Date.now() + offsetMs },
  );
  return Object.assign(relay, {
    port: relay.address.kind === 'tcp' ? relay.address.port : 0,
    adminPort: relay.adminApiAddress.kind === 'tcp' ? relay.adminApiAddress.port : 0,
    log: lines,
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
    },
  });
}

/** A `proxy`-audience token: what the control plane signs to call the relay's admin API. */
export const adminToken = (
  privateKey: KeyObject,
  workspaceId = RELAY_WORKSPACE,
  options: Parameters<typeof egressToken>[2] = {},
) => egressToken(privateKey, workspaceId, { audience: 'proxy', lifetimeSeconds: 300, ...options });

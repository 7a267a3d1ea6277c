import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { GatewayAddress, RelayLimits } from './relay-config.js';

/** What every relayed request or tunnel works with. */
export interface RelayContext {
  gateway: GatewayAddress;
  limits: RelayLimits;
  /** The proxy credential to add now; null when there is none (the relay then answers 503 itself). */
  credential(): string | null;
  /** Keep-alive pool of connections to the gateway (each request carries its own credential). */
  agent: Agent;
  /** Open tunnels' sockets (both ends), so close() can end them. */
  tunnels: Set<Socket>;
  logger: Logger;
}

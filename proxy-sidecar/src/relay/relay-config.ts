import type { KeyObject } from 'node:crypto';
import * as z from '@berth/protocol/validation';
import { agentPublicKeyFromText } from '@berth/protocol/agent-token';
import { SIDECAR_ADMIN } from '@berth/protocol';
import type { ProxyLimits } from '../config.js';
import {
  listenAddress,
  listenerLimitSettings,
  listenerLimitsFrom,
  parseProxyEnv,
  requiredText,
  socketMode,
  workspaceId,
} from '../env-settings.js';
import type { ListenAddress } from '../listen-address.js';
import { splitHostPort } from '../policy/host-name.js';

/** The bounds of ProxyLimits that apply to a relay (it signs nothing, so it buffers no body). */
export type RelayLimits = Pick<
  ProxyLimits,
  'maxHeaderBytes' | 'headersTimeoutMs' | 'connectTimeoutMs' | 'idleTimeoutMs'
>;

/** Where the relay forwards everything: the shared egress gateway. */
export interface GatewayAddress {
  host: string;
  port: number;
}

/** Everything the relay needs to start. Build it with {@link loadRelayConfigFromEnv} or by hand. */
export interface RelayConfig {
  /** Where the workspace reaches the relay (its HTTP_PROXY / HTTPS_PROXY); loopback on ECS. */
  listen: ListenAddress;
  /** The admin API (the control plane hands the credential over there); the task's ENI on ECS. */
  adminListen: ListenAddress;
  /** The one workspace this relay serves: admin tokens and credentials must name it. */
  workspaceId: string;
  /** The control plane's Ed25519 public key: admin tokens and credentials must be signed by it. */
  tokenPublicKey: KeyObject;
  gateway: GatewayAddress;
  limits: RelayLimits;
  /** File mode for Unix socket listeners. */
  socketMode: number;
}

const gatewayAddress = (text: string): GatewayAddress => {
  const split = splitHostPort(text.trim());
  if (split === null || split.port === null) throw new Error(`"${text}" is not host:port`);
  return { host: split.host, port: split.port };
};

const envSchema = z.strictObject({
  PROXY_LISTEN: listenAddress('127.0.0.1:8080'),
  PROXY_ADMIN_LISTEN: listenAddress(`0.0.0.0:${SIDECAR_ADMIN.port}`),
  PROXY_WORKSPACE_ID: workspaceId('is required (the workspace this relay serves)'),
  PROXY_TOKEN_PUBLIC_KEY: requiredText(
    "is required (the control plane's Ed25519 public key, 32 bytes base64url)",
    agentPublicKeyFromText,
  ),
  PROXY_GATEWAY: requiredText('is required (the egress gateway as host:port)', gatewayAddress),
  ...listenerLimitSettings,
  PROXY_SOCKET_MODE: socketMode,
});

/**
 * Reads the relay's configuration from environment variables (see README, "Relay"). Unset and empty
 * variables take their defaults. Throws ProxyConfigError listing every bad variable by name.
 */
export function loadRelayConfigFromEnv(env: Readonly<Record<string, string | undefined>>): RelayConfig {
  const e = parseProxyEnv(envSchema, env, 'relay');
  return {
    listen: e.PROXY_LISTEN,
    adminListen: e.PROXY_ADMIN_LISTEN,
    workspaceId: e.PROXY_WORKSPACE_ID,
    tokenPublicKey: e.PROXY_TOKEN_PUBLIC_KEY,
    gateway: e.PROXY_GATEWAY,
    limits: listenerLimitsFrom(e),
    socketMode: e.PROXY_SOCKET_MODE,
  };
}

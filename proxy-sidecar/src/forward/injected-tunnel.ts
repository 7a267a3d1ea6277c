import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import type { ProxyLimits } from '../config.js';
import type { ProxyContext } from './context.js';
import { handleHttpRequest } from './http-forward.js';

/** The CONNECT target and context of each intercepted tunnel, for the requests that arrive inside it. */
const tunnels = new WeakMap<Socket, { authority: string; ctx: ProxyContext }>();
/**
 * One in-memory HTTP server per set of limits (one per proxy): it never listens, it only parses the
 * tunnels handed to it. The context comes from the tunnel, since a gateway's tunnels belong to many
 * workspaces.
 */
const servers = new WeakMap<ProxyLimits, Server>();

const TLS_HANDSHAKE = 0x16;

function serverFor(limits: ProxyLimits): Server {
  let server = servers.get(limits);
  if (server) return server;
  server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: 60_000,
  });
  server.on('request', (req, res) => {
    // Origin-form (`/v1/messages`) inside the tunnel means "on the host the tunnel was opened to".
    const tunnel = tunnels.get(req.socket as Socket);
    if (!tunnel) return res.destroy();
    if ((req.url ?? '').startsWith('/')) req.url = `http://${tunnel.authority}${req.url}`;
    if (tunnel.ctx.tunnelRequest) tunnel.ctx.tunnelRequest(req, res);
    else handleHttpRequest(tunnel.ctx, req, res);
  });
  server.on('clientError', (_error, socket: Socket) => socket.destroy());
  servers.set(limits, server);
  return server;
}

/**
 * Serves a CONNECT tunnel to a host with credential injection as plain HTTP. undici-based clients (the
 * Claude Code CLI, Node's fetch behind an env proxy) tunnel even `http://` requests through CONNECT, so
 * refusing the CONNECT would cut them off from the very hosts the proxy injects for. Instead the proxy is
 * the far end of the tunnel: each request read from it is handled exactly like an absolute-form request
 * to `host:port` (policy, the workspace's own credentials stripped, injection, TLS upstream). TLS inside
 * the tunnel is still refused — the proxy could neither strip nor inject there — by closing the tunnel at
 * the ClientHello's first byte, before anything goes upstream.
 *
 * Called once the 200 has been written. `onTls` records the refusal.
 */
export function serveInjectedTunnel(
  ctx: ProxyContext,
  target: { host: string; port: number },
  client: Socket,
  head: Buffer,
  onTls: () => void,
): void {
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  tunnels.set(client, { authority: `${host}:${target.port}`, ctx });
  // Counted as a tunnel so close() ends it like any other.
  ctx.tunnelSockets.add(client);
  client.once('close', () => ctx.tunnelSockets.delete(client));
  const start = (first: Buffer) => {
    if (first[0] === TLS_HANDSHAKE) {
      onTls();
      client.destroy();
      return;
    }
    serverFor(ctx.limits).emit('connection', client);
    // The server may read the socket's handle directly from now on: the bytes already read are handed
    // to its parser the way a socket delivers them.
    client.emit('data', first);
    client.resume();
  };
  if (head.length > 0) return start(head);
  client.once('data', (chunk: Buffer) => {
    client.pause();
    start(chunk);
  });
}

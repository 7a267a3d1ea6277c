import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connect, isIP } from 'node:net';
import { ConnectReply, ERROR_HEADER } from '../forward/responses.js';
import { parseConnectTarget } from '../forward/target.js';
import type { RelayContext } from './relay-context.js';
import { gatewayFailure, NOT_READY, timeoutError } from './relay-replies.js';

/**
 * Relays `CONNECT host:port`: opens a connection to the gateway, asks it for the same tunnel with the
 * relay's credential, then splices bytes both ways. The gateway's response head goes back as it comes,
 * so its refusals (407, 403...) reach the client unchanged; the relay answers itself only before the
 * gateway has said anything (not ready, bad target, gateway unreachable).
 */
export function relayConnect(ctx: RelayContext, req: IncomingMessage, client: Socket, head: Buffer): void {
  // Nothing else listens to this socket now that the HTTP server has handed it over.
  client.on('error', () => undefined);
  const reply = new ConnectReply(client);
  const target = parseConnectTarget(req.url ?? '');
  if (target === null) {
    reply.error(400, ERROR_HEADER, 'bad_request', 'CONNECT needs host:port');
    return;
  }
  const credential = ctx.credential();
  if (credential === null) {
    reply.error(NOT_READY.status, ERROR_HEADER, NOT_READY.code, NOT_READY.message, NOT_READY.headers);
    return;
  }
  const authority = `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;

  const gateway = connect({ host: ctx.gateway.host, port: ctx.gateway.port, noDelay: true });
  ctx.tunnels.add(gateway);
  ctx.tunnels.add(client);
  let connected = false;
  let gatewaySpoke = false;
  const connectTimer = setTimeout(
    () => gateway.destroy(timeoutError('connect timeout', 'ECONNECT_TIMEOUT')),
    ctx.limits.connectTimeoutMs,
  );
  const closeBoth = () => {
    gateway.destroy();
    client.destroy();
  };
  gateway.once('close', () => {
    clearTimeout(connectTimer);
    ctx.tunnels.delete(gateway);
  });
  client.once('close', () => {
    ctx.tunnels.delete(client);
    if (!connected) gateway.destroy();
  });
  gateway.on('error', (error: NodeJS.ErrnoException) => {
    if (!gatewaySpoke) {
      const failure = gatewayFailure(error, connected);
      ctx.logger.warn('egress gateway tunnel failed', { code: failure.code, cause: error.code });
      reply.error(failure.status, ERROR_HEADER, failure.code, failure.message);
    }
    closeBoth();
  });
  gateway.once('connect', () => {
    connected = true;
    clearTimeout(connectTimer);
    if (client.destroyed) {
      gateway.destroy();
      return;
    }
    gateway.write(
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nProxy-Authorization: Bearer ${credential}\r\n\r\n`,
    );
    // Bytes the client sent past its CONNECT head are the tunnel's first bytes: the gateway's too.
    if (head.length > 0) gateway.write(head);
    gateway.once('data', () => (gatewaySpoke = true));
    splice(client, gateway, ctx.limits.idleTimeoutMs, closeBoth);
  });
}

/**
 * Pipes bytes both ways with backpressure. When one side closes, the other is ended gracefully (its
 * queued bytes still go out) and destroyed shortly after if the peer never finishes.
 */
function splice(client: Socket, gateway: Socket, idleMs: number, closeBoth: () => void): void {
  client.pipe(gateway);
  gateway.pipe(client);
  const wind = (other: Socket) => {
    other.end();
    other.resume(); // keep reading to EOF so a half-open socket can close
    setTimeout(() => other.destroy(), 2_000).unref();
  };
  client.once('close', () => wind(gateway));
  gateway.once('close', () => wind(client));
  client.setTimeout(idleMs, closeBoth);
  gateway.setTimeout(idleMs, closeBoth);
}

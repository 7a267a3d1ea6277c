import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { decideDestination } from '../policy/destination.js';
import type { ProxyContext } from './context.js';
import { serveInjectedTunnel } from './injected-tunnel.js';
import { RequestRecord } from './request-record.js';
import { BLOCKED_HEADER, ConnectReply, ERROR_HEADER } from './responses.js';
import { parseConnectTarget } from './target.js';

/**
 * Handles `CONNECT host:port`: policy, then a byte tunnel to the checked address. Exactly one
 * response is ever written to the workspace's socket — the 200 that opens the tunnel or an error
 * before it — however the tunnel later ends ({@link ConnectReply}).
 */
export function handleConnect(ctx: ProxyContext, req: IncomingMessage, client: Duplex, head: Buffer): void {
  const record = new RequestRecord(ctx, 'CONNECT', true);
  const reply = new ConnectReply(client);
  let status = 0;
  client.on('error', () => record.fail('client_aborted', false));
  client.once('close', () => record.finish(status));
  open(ctx, req, client, head, record, reply, (code) => {
    status = code;
  }).catch((error: unknown) => {
    record.fail('internal_error', false);
    status = 500;
    reply.error(500, ERROR_HEADER, 'internal_error', (error as Error).message);
    client.destroy();
  });
}

async function open(
  ctx: ProxyContext,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  record: RequestRecord,
  reply: ConnectReply,
  setStatus: (status: number) => void,
): Promise<void> {
  const target = parseConnectTarget(req.url ?? '');
  if (target === null) {
    record.fail('bad_request', false);
    setStatus(400);
    reply.error(400, ERROR_HEADER, 'bad_request', 'CONNECT needs host:port');
    return;
  }
  record.host = target.host;
  record.port = target.port;

  const snapshot = ctx.policy.current();
  // A host with credential injection is served as plain HTTP inside the tunnel (injected-tunnel.ts), so
  // the allowlist is checked as for plain HTTP; each request inside is checked again on its own.
  const injected = snapshot.planFor(target.host) !== null;
  const decision = await decideDestination(target.host, target.port, injected ? 'http' : 'connect', {
    allowDomains: snapshot.policy.allowDomains,
    allowLoopback: ctx.allowLoopback,
    resolve: ctx.resolve,
  });
  if (decision.kind === 'blocked') {
    record.block(decision.reason);
    setStatus(403);
    reply.error(403, BLOCKED_HEADER, decision.reason, decision.detail);
    return;
  }
  if (decision.kind === 'unresolved') {
    record.fail('dns_failed', true);
    setStatus(502);
    reply.error(502, ERROR_HEADER, 'dns_failed', decision.detail);
    return;
  }
  if (client.destroyed) return;
  if (injected) {
    if (!reply.established()) return;
    setStatus(200);
    // Inside TLS the proxy could neither strip the workspace's credentials nor inject its own.
    serveInjectedTunnel(ctx, target, client as Socket, head, () => {
      record.block('tls_to_injected_host');
      setStatus(403);
    });
    return;
  }

  const upstream = connect({ host: decision.addresses[0] ?? '', port: target.port, noDelay: true });
  ctx.tunnelSockets.add(upstream);
  const connectTimer = setTimeout(() => {
    upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
  }, ctx.limits.connectTimeoutMs);
  const closeBoth = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.once('close', () => {
    clearTimeout(connectTimer);
    ctx.tunnelSockets.delete(upstream);
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (!reply.sent) {
      const timedOut = error.code === 'ECONNECT_TIMEOUT';
      const code = timedOut ? 'upstream_timeout' : 'upstream_unreachable';
      record.fail(code, true);
      setStatus(timedOut ? 504 : 502);
      reply.error(timedOut ? 504 : 502, ERROR_HEADER, code, `upstream: ${error.code ?? error.message}`);
    } else {
      // The tunnel is already open: the only thing left to do is close it. Never write a response here.
      record.fail('upstream_aborted', true);
    }
    closeBoth();
  });
  client.once('close', () => {
    if (!reply.sent) upstream.destroy();
  });
  upstream.once('connect', () => {
    clearTimeout(connectTimer);
    if (!reply.established()) {
      upstream.destroy();
      return;
    }
    setStatus(200);
    if (head.length > 0) {
      record.bytesIn += head.length;
      upstream.write(head);
    }
    splice(client, upstream, record, ctx.limits.idleTimeoutMs, closeBoth);
  });
}

/**
 * Pipes bytes both ways with backpressure and counts them. When one side closes, the other is ended
 * gracefully (its queued bytes still go out) and destroyed shortly after if the peer never finishes.
 */
function splice(
  client: Duplex,
  upstream: Socket,
  record: RequestRecord,
  idleMs: number,
  closeBoth: () => void,
) {
  client.on('data', (chunk: Buffer) => {
    record.bytesIn += chunk.length;
  });
  upstream.on('data', (chunk: Buffer) => {
    record.bytesOut += chunk.length;
  });
  client.pipe(upstream);
  upstream.pipe(client);
  const wind = (other: Duplex) => {
    other.end();
    other.resume(); // keep reading to EOF so a half-open socket can close
    setTimeout(() => other.destroy(), 2_000).unref();
  };
  client.once('close', () => wind(upstream));
  upstream.once('close', () => wind(client));
  upstream.setTimeout(idleMs, closeBoth);
  (client as Socket).setTimeout?.(idleMs, closeBoth);
}

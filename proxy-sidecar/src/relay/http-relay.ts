import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { pipeline } from 'node:stream';
import { endToEndHeaders, responseHeaders } from '../forward/headers.js';
import { ERROR_HEADER, sendError } from '../forward/responses.js';
import { parseAbsoluteTarget } from '../forward/target.js';
import type { RelayContext } from './relay-context.js';
import { BAD_REQUEST_MESSAGE, gatewayFailure, hasBody, NOT_READY, timeoutError } from './relay-replies.js';

/**
 * Relays one plain-HTTP proxy request (absolute-form) to the gateway as a proxy request of its own: the
 * same method, target and end-to-end headers, the workspace's own Proxy-Authorization dropped and the
 * relay's credential added. Both bodies stream with backpressure; the gateway's answer (a refusal
 * included) goes back as it is, minus hop-by-hop headers.
 */
export function relayHttpRequest(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): void {
  const target = parseAbsoluteTarget(req.url ?? '');
  if (target === null) {
    sendError(res, 400, ERROR_HEADER, 'bad_request', BAD_REQUEST_MESSAGE, hasBody(req));
    return;
  }
  const credential = ctx.credential();
  if (credential === null) {
    const { status, code, message, headers } = NOT_READY;
    sendError(res, status, ERROR_HEADER, code, message, hasBody(req), headers);
    return;
  }
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const headers = {
    ...endToEndHeaders(req.headers),
    host: target.port === 80 ? host : `${host}:${target.port}`,
    'proxy-authorization': `Bearer ${credential}`,
  };
  const upstream = request({
    host: ctx.gateway.host,
    port: ctx.gateway.port,
    method: req.method,
    // The target exactly as the workspace wrote it: the gateway signs some requests over these bytes.
    path: req.url,
    headers,
    agent: ctx.agent,
  });

  let connectTimer: NodeJS.Timeout | undefined;
  let connected = false;
  upstream.once('socket', (socket) => {
    if (!socket.connecting) {
      connected = true; // a pooled connection
      return;
    }
    connectTimer = setTimeout(
      () => upstream.destroy(timeoutError('connect timeout', 'ECONNECT_TIMEOUT')),
      ctx.limits.connectTimeoutMs,
    );
    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
    });
  });
  upstream.setTimeout(ctx.limits.idleTimeoutMs, () =>
    upstream.destroy(timeoutError('gateway idle timeout', 'EIDLE_TIMEOUT')),
  );
  let answered = false;
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    req.unpipe(upstream);
    // Once the gateway answered, its response stream (pipeline below) ends the workspace's side itself.
    if (answered) return;
    const failure = gatewayFailure(error, connected);
    ctx.logger.warn('egress gateway request failed', { code: failure.code, cause: error.code });
    sendError(res, failure.status, ERROR_HEADER, failure.code, failure.message, true);
  });
  upstream.once('response', (gatewayRes) => {
    answered = true;
    clearTimeout(connectTimer);
    const out = responseHeaders(gatewayRes.headers);
    // The gateway stops reading a request it refused; the workspace should stop sending too.
    if (!req.complete && /\bclose\b/i.test(String(gatewayRes.headers.connection ?? ''))) {
      out['connection'] = 'close';
    }
    res.writeHead(gatewayRes.statusCode ?? 502, gatewayRes.statusMessage, out);
    // Send the head now: an SSE stream may take a while to produce its first event.
    res.flushHeaders();
    pipeline(gatewayRes, res, () => undefined);
  });
  // The workspace went away before the exchange finished: stop the gateway side too.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

import type { ClientRequest, IncomingMessage, RequestOptions, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { pipeline } from 'node:stream';
import { BodyTooLarge, readBounded } from '@berth/protocol';
import { pathForAudit } from '../audit.js';
import type { OutgoingRequest } from '../inject/injector.js';
import { WORKSPACE_CREDENTIAL_HEADERS } from '../inject/injector.js';
import { decideDestination } from '../policy/destination.js';
import type { UpstreamScheme } from '../policy/egress-policy.js';
import type { ProxyContext } from './context.js';
import { endToEndHeaders, responseHeaders } from './headers.js';
import { RequestRecord } from './request-record.js';
import { BLOCKED_HEADER, ERROR_HEADER, sendError } from './responses.js';
import { parseAbsoluteTarget } from './target.js';

const DEFAULT_PORT: Record<UpstreamScheme, number> = { http: 80, https: 443 };

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Reads the whole request body, refusing more than `limit` bytes (BodyTooLarge). The request is left open
 * past the limit, not destroyed, so that the 413 can still be answered.
 */
async function readBody(req: IncomingMessage, limit: number, record: RequestRecord): Promise<Buffer> {
  const body = await readBounded(req.iterator({ destroyOnReturn: false }), limit, {
    onChunk: (chunk) => (record.bytesIn += chunk.length),
  });
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Handles one plain-HTTP proxy request (absolute-form): policy, credential injection, then a streamed
 * exchange with the upstream (request body and response body both flow with backpressure; nothing is
 * buffered except a body that must be signed).
 */
export function handleHttpRequest(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const record = new RequestRecord(ctx, req.method ?? 'GET', false);
  res.once('close', () => record.finish(res.headersSent ? res.statusCode : 0));
  forward(ctx, req, res, record).catch((error: unknown) => {
    record.fail('internal_error', false);
    sendError(res, 500, ERROR_HEADER, 'internal_error', (error as Error).message, true);
  });
}

async function forward(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, record: RequestRecord) {
  const target = parseAbsoluteTarget(req.url ?? '');
  if (target === null) {
    record.fail('bad_request', false);
    record.host = req.headers.host ?? '';
    const message = 'expected an absolute-form http:// request target (use CONNECT for https)';
    sendError(res, 400, ERROR_HEADER, 'bad_request', message, hasBody(req));
    return;
  }
  record.host = target.host;
  record.port = target.port;
  record.path = pathForAudit(target.path);

  const snapshot = ctx.policy.current();
  const decision = await decideDestination(target.host, target.port, 'http', {
    allowDomains: snapshot.policy.allowDomains,
    allowLoopback: ctx.allowLoopback,
    resolve: ctx.resolve,
  });
  if (decision.kind === 'blocked') {
    record.block(decision.reason);
    sendError(res, 403, BLOCKED_HEADER, decision.reason, decision.detail, hasBody(req));
    return;
  }
  if (decision.kind === 'unresolved') {
    record.fail('dns_failed', true);
    sendError(res, 502, ERROR_HEADER, 'dns_failed', decision.detail, hasBody(req));
    return;
  }

  const plan = snapshot.planFor(target.host);
  const scheme: UpstreamScheme = plan?.scheme ?? 'http';
  // An injection target reached as http://host/ goes to the scheme's own port (443 for TLS).
  const port = plan && target.port === 80 ? DEFAULT_PORT[scheme] : target.port;
  const hostForHeader = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const outgoing: OutgoingRequest = {
    method: req.method ?? 'GET',
    host: target.host,
    hostHeader: port === DEFAULT_PORT[scheme] ? hostForHeader : `${hostForHeader}:${port}`,
    scheme,
    path: target.path,
    headers: endToEndHeaders(req.headers),
  };
  if (plan) {
    // The workspace's own credentials never reach a host the proxy injects for.
    for (const name of WORKSPACE_CREDENTIAL_HEADERS) delete outgoing.headers[name];
    if (plan.injectors.some((injector) => injector.needsBody)) {
      try {
        outgoing.body = await readBody(req, ctx.limits.maxSignedBodyBytes, record);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        record.fail('body_too_large', false);
        const message = `a signed request body may be at most ${ctx.limits.maxSignedBodyBytes} bytes`;
        sendError(res, 413, ERROR_HEADER, 'body_too_large', message, true);
        return;
      }
    }
    for (const injector of plan.injectors) {
      await injector.apply(outgoing);
      record.injected.push(injector.name);
    }
  }
  outgoing.headers['host'] = outgoing.hostHeader;
  if (res.destroyed) return; // the workspace gave up while we resolved or signed

  const address = decision.addresses[0] ?? '';
  const options: RequestOptions & { servername?: string } = {
    host: address, // the checked address: no second lookup that DNS rebinding could answer differently
    port,
    method: outgoing.method,
    path: outgoing.path,
    headers: outgoing.headers,
    agent: scheme === 'https' ? ctx.httpsAgent : ctx.httpAgent,
  };
  if (scheme === 'https' && isIP(target.host) === 0) options.servername = target.host;
  const upstream = scheme === 'https' ? httpsRequest(options) : httpRequest(options);
  exchange(ctx, req, res, record, upstream, outgoing.body);
}

function exchange(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  record: RequestRecord,
  upstream: ClientRequest,
  body: Buffer | undefined,
): void {
  let connectTimer: NodeJS.Timeout | undefined;
  upstream.once('socket', (socket) => {
    if (!socket.connecting) return;
    connectTimer = setTimeout(
      () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' })),
      ctx.limits.connectTimeoutMs,
    );
    socket.once('connect', () => clearTimeout(connectTimer));
  });
  upstream.setTimeout(ctx.limits.idleTimeoutMs, () =>
    upstream.destroy(Object.assign(new Error('upstream idle timeout'), { code: 'EIDLE_TIMEOUT' })),
  );
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    const timedOut = error.code === 'ECONNECT_TIMEOUT' || error.code === 'EIDLE_TIMEOUT';
    const code = timedOut ? 'upstream_timeout' : 'upstream_unreachable';
    record.fail(code, true);
    sendError(
      res,
      timedOut ? 504 : 502,
      ERROR_HEADER,
      code,
      `upstream: ${error.code ?? error.message}`,
      true,
    );
  });
  upstream.once('response', (upstreamRes) => {
    clearTimeout(connectTimer);
    res.writeHead(
      upstreamRes.statusCode ?? 502,
      upstreamRes.statusMessage,
      responseHeaders(upstreamRes.headers),
    );
    // Send headers now: an SSE stream may take a while to produce its first event.
    res.flushHeaders();
    upstreamRes.on('data', (chunk: Buffer) => {
      record.bytesOut += chunk.length;
    });
    pipeline(upstreamRes, res, (error) => {
      if (error) record.fail('upstream_aborted', true);
    });
  });
  // The workspace went away before the exchange finished: stop the upstream side too.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });

  if (body !== undefined) {
    upstream.end(body);
    return;
  }
  req.on('data', (chunk: Buffer) => {
    record.bytesIn += chunk.length;
  });
  req.pipe(upstream);
}

import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponse } from '@berth/functions';

/**
 * A request Node's HTTP parser refuses before any handler sees it (an unknown or lowercase method, bytes
 * outside ASCII in the target, conflicting Content-Length headers, headers over the size limit, a bad chunk)
 * still gets API.md's error shape, where Node would answer a bare 400 with no body. The connection is
 * closed after it: the parser's state is lost.
 */
export function answerUnparsable(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's own handler: never write into a response already under way on this connection (keep-alive).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are over the size limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request did not arrive in time']
        : [400, 'invalid_request', `malformed HTTP request (${err.code ?? 'unparsable'})`];
  const r = errorResponse(status, code, message, randomUUID());
  const body = Buffer.from(r.body as string);
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    Object.entries({ ...r.headers, 'content-length': String(body.length), connection: 'close' })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

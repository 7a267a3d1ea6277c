import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { ProxyLimits } from './config.js';

/**
 * The HTTP server a proxy listens with (the sidecar's and the gateway's alike); the caller attaches the
 * `request` and `connect` handlers.
 */
export function createProxyListener(
  limits: Pick<ProxyLimits, 'maxHeaderBytes' | 'headersTimeoutMs'>,
): Server {
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // Long uploads and slow LLM answers are normal: only the idle timeout bounds a request.
    requestTimeout: 0,
    keepAliveTimeout: 60_000,
    noDelay: true,
    // Larger socket buffers mean fewer pause/resume cycles per MiB; still bounded per connection.
    highWaterMark: 256 * 1024,
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed or oversized request heads: answer like Node would, without leaking internals.
    if (!socket.writable) return socket.destroy();
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  });
  return server;
}

/** Stops listening and ends every open connection. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

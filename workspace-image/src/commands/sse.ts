import type { ServerResponse } from 'node:http';
import { SSE_MEDIA_TYPE, encodeSseComment, encodeSseEvent } from '@berth/protocol';

/** Comment lines keep idle streams alive through proxies and load balancers. */
const HEARTBEAT_MS = 15_000;
const KEEPALIVE = encodeSseComment('keepalive');

/**
 * Server-sent events writer over the protocol's encoder (data as JSON, one `data:` line per event). Every
 * write goes straight to the socket: nothing is buffered here.
 */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': `${SSE_MEDIA_TYPE}; charset=utf-8`,
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => res.write(KEEPALIVE), HEARTBEAT_MS);
    res.on('close', () => clearInterval(this.heartbeat));
  }

  /** Returns false when the socket buffer is full (wait for 'drain' before sending more). */
  send(event: string, data: unknown): boolean {
    return this.res.write(encodeSseEvent({ event, data }));
  }

  end(): void {
    clearInterval(this.heartbeat);
    this.res.end();
  }
}

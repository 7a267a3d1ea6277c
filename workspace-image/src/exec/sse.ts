import type { ServerResponse } from 'node:http';

/** Comment lines keep idle streams alive through proxies and load balancers. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events writer. Data is always given as JSON (a JSON string for output chunks), which never
 * contains a raw newline, so each event is one `data:` line and decodes exactly, trailing newlines included.
 * Every write goes straight to the socket: nothing is buffered here.
 */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => res.write(': keepalive\n\n'), HEARTBEAT_MS);
    res.on('close', () => clearInterval(this.heartbeat));
  }

  /** Returns false when the socket buffer is full (wait for 'drain' before sending more). */
  send(event: string, data: unknown): boolean {
    const lines = JSON.stringify(data).split(/\r\n|\r|\n/); // JSON has none; kept for safety of the framing
    return this.res.write(`event: ${event}\n${lines.map((l) => `data: ${l}\n`).join('')}\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    this.res.end();
  }
}

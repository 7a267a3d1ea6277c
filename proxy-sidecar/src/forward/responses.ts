import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Header that tells the workspace why the proxy refused a request. */
export const BLOCKED_HEADER = 'x-berth-proxy-blocked';
/** Header naming a proxy-side failure (bad request, upstream unreachable...). */
export const ERROR_HEADER = 'x-berth-proxy-error';

/** The JSON body of every response the proxy makes up itself. */
export const errorBody = (code: string, message: string): string =>
  JSON.stringify({ error: { code, message } });

/**
 * How long, and how many bytes of, an unread request body are read and thrown away after an error answer
 * before the connection is cut. Closing with unread bytes in the receive buffer sends a TCP reset, and a
 * reset that reaches the client before it read the answer makes it lose the answer (a refused upload would
 * look like a network failure instead of a 403).
 */
export const LINGER = { maxBytes: 64 * 1024 * 1024, maxMs: 2_000 } as const;

/**
 * Answers a plain-HTTP proxy request with an error of the proxy's own. `close` ends the connection
 * afterwards (used when the request body was not read): a body still arriving is first discarded, within
 * {@link LINGER}, so the client reads the answer.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  header: typeof BLOCKED_HEADER | typeof ERROR_HEADER,
  code: string,
  message: string,
  close: boolean,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const lingering = close && discardRestOfBody(res.req);
  const body = errorBody(code, message);
  res.writeHead(status, {
    ...extraHeaders,
    [header]: code,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close && !lingering ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/**
 * Reads and drops what is left of a request body; the connection is cut once more than LINGER allows
 * arrives (the client then sees a reset, as before). True when there was a body left to discard: the
 * answer then keeps the connection, which is reusable once the body has ended.
 */
function discardRestOfBody(req: IncomingMessage | undefined): boolean {
  if (!req || req.complete || req.destroyed) return false;
  let drained = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, LINGER.maxMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER.maxBytes) cut();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
  return true;
}

/**
 * State of a CONNECT exchange on the raw socket. Once any response (the 200 that opens the tunnel, or
 * an error) has been written, no other response may ever follow: after the tunnel opens, the bytes on
 * that socket belong to the tunnel (BUG-04 wrote a second response there).
 */
export class ConnectReply {
  private responded = false;

  constructor(private readonly socket: Duplex) {}

  get sent(): boolean {
    return this.responded;
  }

  /** Writes `HTTP/1.1 200 Connection Established`; returns false if a response was already sent. */
  established(): boolean {
    if (this.responded || this.socket.destroyed) return false;
    this.responded = true;
    this.socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    return true;
  }

  /** Writes an error response and closes the socket; does nothing once any response was sent. */
  error(
    status: number,
    header: typeof BLOCKED_HEADER | typeof ERROR_HEADER,
    code: string,
    message: string,
    extraHeaders: Record<string, string> = {},
  ): void {
    if (this.responded || this.socket.destroyed) return;
    this.responded = true;
    const body = errorBody(code, message);
    this.socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        Object.entries(extraHeaders)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `${header}: ${code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  }
}

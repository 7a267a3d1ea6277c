import type { ServerResponse } from 'node:http';
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
 * Answers a plain-HTTP proxy request with an error of the proxy's own. `close` ends the connection
 * afterwards (used when the request body was not read).
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
  const body = errorBody(code, message);
  res.writeHead(status, {
    ...extraHeaders,
    [header]: code,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
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

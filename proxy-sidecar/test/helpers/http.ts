import type { Agent, IncomingHttpHeaders, IncomingMessage, RequestListener, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';

/** A finished response as the test client saw it. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where the test client reaches the proxy. */
export type ProxyEndpoint = { port: number } | { socketPath: string };

/** Sends one absolute-form request through the proxy and reads the whole answer. */
export function viaProxy(
  proxy: ProxyEndpoint,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...('port' in proxy ? { host: '127.0.0.1', port: proxy.port } : { socketPath: proxy.socketPath }),
        method: options.method ?? 'GET',
        path: url,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function readReply(res: IncomingMessage): Promise<Reply> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
}

/** A request as a fake upstream received it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A loopback HTTP server that records what it receives. */
export interface Upstream {
  port: number;
  server: Server;
  seen: SeenRequest[];
  /** TCP connections accepted so far (also those that never sent a request). */
  connections: number;
  close(): Promise<void>;
}

/** Starts a recording upstream; `handler` answers (default: 200 "ok"). The body is read before it runs. */
export async function startUpstream(
  handler: (req: SeenRequest, res: Parameters<RequestListener>[1]) => void = (_req, res) => res.end('ok'),
  host = '127.0.0.1',
): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
    };
    seen.push(entry);
    handler(entry, res);
  });
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Opens a CONNECT tunnel on a raw socket and resolves once the proxy's response head has arrived.
 * `rest` holds any bytes that came after the head.
 */
export function rawConnect(
  proxyPort: number,
  authority: string,
  headers: Record<string, string> = {},
): Promise<{ socket: Socket; status: number; head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const head = buffered.subarray(0, end).toString('latin1');
      resolve({ socket, status: Number(head.split(' ')[1]), head, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extra}\r\n`);
  });
}

/** Reads everything a socket sends until it closes. */
export function readUntilClose(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', () => undefined);
    socket.resume();
  });
}

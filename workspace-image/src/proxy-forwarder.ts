import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxyForwarderOptions {
  /** The egress proxy's Unix socket (bind-mounted from the host). */
  socketPath: string;
  host?: string;
  port: number;
}

/**
 * The container has no network, only loopback: 127.0.0.1:<port> (the workspace's HTTP(S)_PROXY) is piped
 * byte for byte to the proxy's Unix socket. Half-closes are passed on so request/response framing of
 * either side is untouched; an error on one side tears down both.
 */
export function startProxyForwarder(opts: ProxyForwarderOptions): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: opts.socketPath, allowHalfOpen: true });
    const teardown = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    pipeHalfOpen(client, upstream);
    pipeHalfOpen(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** pipe(), ending the destination's writable side when the source ends. */
function pipeHalfOpen(from: Socket, to: Socket): void {
  from.pipe(to, { end: true });
}

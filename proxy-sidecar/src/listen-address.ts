import { chmod, lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { isIP } from 'node:net';

/** Where a listener binds: a TCP host and port, or a Unix socket path. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `127.0.0.1:8080`, `[::1]:8080` or `unix:/path/proxy.sock`.
 * Throws an Error whose message explains what is wrong (the caller prefixes the variable name).
 */
export function parseListenAddress(text: string): ListenAddress {
  const value = text.trim();
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    if (!path.startsWith('/')) throw new Error(`"${text}": a unix socket path must be absolute (unix:/path)`);
    // sockaddr_un.sun_path is 108 bytes on Linux including the terminating NUL.
    if (Buffer.byteLength(path) > 107)
      throw new Error(`"${text}": unix socket path is longer than 107 bytes`);
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`"${text}" is not host:port or unix:/path`);
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`"${text}": port must be 0..65535`);
  if (match[1] !== undefined && isIP(host) !== 6)
    throw new Error(`"${text}": [${host}] is not an IPv6 address`);
  return { kind: 'tcp', host, port };
}

/** Renders an address the way the environment variables spell it. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Binds a server and resolves with the address actually bound (port 0 becomes the real port).
 * A stale Unix socket file from an earlier run is removed first; any other file at that path is an error.
 */
export async function listenOn(
  server: Server,
  address: ListenAddress,
  socketMode: number,
): Promise<ListenAddress> {
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
  if (address.kind === 'unix') {
    // The workspace runs as another uid; the bind-mounted directory is the access boundary, not the file mode.
    await chmod(address.path, socketMode);
    return address;
  }
  const bound = server.address();
  if (bound === null || typeof bound === 'string') return address;
  return { kind: 'tcp', host: address.host, port: bound.port };
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (!info.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

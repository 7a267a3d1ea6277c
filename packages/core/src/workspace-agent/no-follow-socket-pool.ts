import { closeSync, fstatSync, openSync, constants } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/** Linux's O_PATH (not in Node's fs.constants): a handle on the name itself, opening nothing. */
const O_PATH = 0o10000000;

/**
 * An http.Agent whose Unix-socket connections never follow a symlink. A workspace's agent socket sits in a
 * directory the workspace writes, so the workspace can swap it for a link to any socket on the host (the
 * Docker engine's, say); the control plane runs as root and would connect there. Each new connection opens
 * the name with O_PATH|O_NOFOLLOW, checks that it is a socket, and connects through /proc/self/fd, so what
 * was checked is what is reached. Kept-alive connections are reused as usual; TCP is untouched.
 */
export class NoFollowSocketPool extends http.Agent {
  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: net.Socket) => void,
  ): net.Socket | undefined {
    const socketPath = options.socketPath;
    if (!socketPath || process.platform !== 'linux') {
      return (http.Agent.prototype as unknown as AgentInternals).createConnection.call(
        this,
        options,
        callback,
      );
    }
    const fail = (e: unknown) => callback?.(e as Error, undefined as unknown as net.Socket);
    let fd: number;
    try {
      fd = openSync(socketPath, O_PATH | constants.O_NOFOLLOW);
    } catch (e) {
      fail(e);
      return undefined;
    }
    try {
      if (!fstatSync(fd).isSocket()) throw new Error(`${socketPath} is not a socket; refusing to follow it`);
    } catch (e) {
      closeSync(fd);
      fail(e);
      return undefined;
    }
    const viaFd = `/proc/self/fd/${fd}`;
    const socket = net.createConnection({ ...(options as net.IpcNetConnectOpts), path: viaFd });
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    };
    socket.once('connect', release);
    socket.once('error', release);
    socket.once('close', release);
    return socket;
  }
}

interface AgentInternals {
  createConnection(options: unknown, callback: unknown): net.Socket | undefined;
}

import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { AgentConfig } from './config.js';
import { openWorkspaceRoot } from './files/safe-path.js';
import { createAgentServer } from './server.js';

export interface RunningAgent {
  server: Server;
  /** The socket path (uds) or host:port (http) it listens on. */
  address: string;
  /** TCP port in http mode (useful with AGENT_PORT=0). */
  port?: number;
  /** Port of the proxy forwarder, when running. */
  proxyPort?: number;
  close(): Promise<void>;
}

/** Starts the agent: checks the workspace dir, listens (uds or http), and starts the proxy forwarder if asked. */
export async function startAgent(config: AgentConfig): Promise<RunningAgent> {
  const dirStat = await stat(config.workspaceDir).catch(() => null);
  if (!dirStat?.isDirectory()) throw new Error(`workspace directory ${config.workspaceDir} does not exist`);
  const ws = await openWorkspaceRoot(config.workspaceDir);
  const { server, preload } = createAgentServer(config, ws);
  // Long commands and streams are legitimate: no socket inactivity timeout (Node's default is none either).
  server.requestTimeout = 0;
  server.timeout = 0;

  let address: string;
  let port: number | undefined;
  if (config.listenMode === 'uds') {
    await removeStaleSocket(config.socketPath);
    await listen(server, () => server.listen(config.socketPath));
    // The host side connects as another uid.
    await chmod(config.socketPath, 0o666);
    address = config.socketPath;
  } else {
    await listen(server, () => server.listen(config.port, config.host));
    port = (server.address() as AddressInfo).port;
    address = `${config.host}:${port}`;
  }

  setImmediate(preload);

  let proxy: NetServer | undefined;
  if (config.proxySocket) {
    try {
      const { startProxyForwarder } = await import('./proxy-forwarder.js');
      proxy = await startProxyForwarder({ socketPath: config.proxySocket, port: config.proxyPort });
    } catch (err) {
      server.close();
      throw new Error(`cannot listen on 127.0.0.1:${config.proxyPort} for the proxy: ${String(err)}`);
    }
  }

  return {
    server,
    address,
    ...(port !== undefined && { port }),
    ...(proxy && { proxyPort: (proxy.address() as AddressInfo).port }),
    async close() {
      proxy?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (config.listenMode === 'uds') await unlink(config.socketPath).catch(() => {});
    },
  };
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}

/** A socket left by a previous run blocks listen(); anything else at that path is a setup error. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`AGENT_SOCKET ${path} exists and is not a socket`);
  await unlink(path);
}

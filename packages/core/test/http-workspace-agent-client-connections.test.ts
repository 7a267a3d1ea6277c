import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWorkspaceAgentClient, type WorkspaceAgentTarget } from '@berth/core';

/**
 * Kept-alive connections to the agent (a real HTTP server here). An agent that thaws after a freeze closes its
 * idle connections at once (its keep-alive timers ran out while frozen), so the first request after a pool
 * claim may go out on a connection being closed: the client must not turn that into a failed command.
 */
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

const result = { exitCode: 0, signal: null, stdout: 'v22\n', stderr: '', durationMs: 1, timedOut: false };

/** An agent that answers the first request of a connection and drops the connection on any later one. */
async function agentDroppingReusedConnections() {
  const connections = new Set<Socket>();
  let requests = 0;
  server = http.createServer((req, res) => {
    requests++;
    const socket = req.socket;
    if (connections.has(socket)) {
      socket.destroy(); // as a keep-alive timeout firing while the request arrives
      return;
    }
    connections.add(socket);
    req.resume();
    req.on('end', () => res.end(JSON.stringify(result)));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const target: WorkspaceAgentTarget = { endpoint: { kind: 'http', host: '127.0.0.1', port }, token: 'tok' };
  return { target, stats: () => ({ requests, connections: connections.size }) };
}

describe('HttpWorkspaceAgentClient connections', () => {
  it('sends a request again on a new connection when a kept-alive one was closed under it', async () => {
    const client = new HttpWorkspaceAgentClient();
    const { target, stats } = await agentDroppingReusedConnections();
    await client.runCommand(target, { cmd: ['node', '-v'] });
    expect(await client.runCommand(target, { cmd: ['node', '-v'] })).toMatchObject({ stdout: 'v22\n' });
    // The second request was dropped on the reused connection and answered on a new one.
    expect(stats()).toEqual({ requests: 3, connections: 2 });
    client.close();
  });

  it('does not send again when a new connection fails: that is the agent failing, reported', async () => {
    const client = new HttpWorkspaceAgentClient();
    let requests = 0;
    server = http.createServer((req) => {
      requests++;
      req.socket.destroy();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const target: WorkspaceAgentTarget = { endpoint: { kind: 'http', host: '127.0.0.1', port }, token: 't' };
    await expect(client.runCommand(target, { cmd: ['true'] })).rejects.toMatchObject({ code: 'unreachable' });
    expect(requests).toBe(1);
    client.close();
  });
});

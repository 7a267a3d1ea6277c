import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WorkspaceAgentError,
  HttpWorkspaceAgentClient,
  readAll,
  type WorkspaceAgentTarget,
} from '@berth/core';

let server: http.Server | undefined;
const client = new HttpWorkspaceAgentClient();
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A stand-in agent on loopback TCP; `answer` gets the request and its body. */
async function agent(answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  server = http.createServer(async (req, res) => answer(req, (await readAll(req, 1 << 20)).toString(), res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const target: WorkspaceAgentTarget = {
    endpoint: { kind: 'http', host: '127.0.0.1', port },
    token: 'tok-1',
  };
  return target;
}

describe('HttpWorkspaceAgentClient.execute', () => {
  it('POSTs the request to /execute with the token and hands back the SSE body as it streams', async () => {
    const seen: { method?: string; url?: string; auth?: string; body?: string } = {};
    const target = await agent((req, body, res) => {
      Object.assign(seen, { method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {}\n\n');
      setTimeout(() => res.end('event: result\ndata: {}\n\n'), 50);
    });
    const stream = await client.streamAgentRun(target, { prompt: 'hi', maxTurns: 2 });
    expect(stream).toMatchObject({ status: 200, contentType: 'text/event-stream' });
    expect((await readAll(stream.body, 1 << 20)).toString()).toBe(
      'event: message\ndata: {}\n\nevent: result\ndata: {}\n\n',
    );
    expect(seen).toEqual({
      method: 'POST',
      url: '/execute',
      auth: 'Bearer tok-1',
      body: JSON.stringify({ prompt: 'hi', maxTurns: 2 }),
    });
  });

  it("rejects with the agent's own code when it refuses the body before any SSE", async () => {
    const target = await agent((_req, _body, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'invalid_request', message: 'maxTurns: too big' } }));
    });
    const e = (await client
      .streamAgentRun(target, { prompt: 'p' })
      .catch((x: unknown) => x)) as WorkspaceAgentError;
    expect(e).toBeInstanceOf(WorkspaceAgentError);
    expect({ status: e.status, code: e.code, message: e.message }).toEqual({
      status: 400,
      code: 'invalid_request',
      message: 'maxTurns: too big',
    });
  });

  it('destroying the body closes the connection: the agent sees its client go', async () => {
    let agentSawClose!: () => void;
    const closed = new Promise<void>((r) => (agentSawClose = r));
    const target = await agent((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {}\n\n');
      res.on('close', agentSawClose);
    });
    const stream = await client.streamAgentRun(target, { prompt: 'p' });
    stream.body.destroy();
    await closed;
  });
});

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WORKSPACE_AGENT_READ_LIMITS,
  WorkspaceAgentError,
  HttpWorkspaceAgentClient,
  type WorkspaceAgentTarget,
} from '@berth/core';

/**
 * A hostile agent (a real HTTP server) that answers bodies without end. Whatever it sends, the client reads
 * no more than its limits: what the server managed to write before the client hung up proves it.
 */
let server: http.Server | undefined;
let sent = 0;
const client = new HttpWorkspaceAgentClient({ requestTimeoutMs: 10_000 });
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Kernel socket buffers on loopback take a few MiB the client never read. */
const SOCKET_SLACK = 8 * 1024 * 1024;

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Writes `head` then `x`s for as long as the client reads, honouring backpressure. */
function endless(res: http.ServerResponse, head = '') {
  res.write(head);
  const pump = () => {
    while (!res.destroyed && res.write(CHUNK)) sent += CHUNK.length;
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

async function agent(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  sent = 0;
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const target: WorkspaceAgentTarget = { endpoint: { kind: 'http', host: '127.0.0.1', port }, token: 'tok' };
  return target;
}

const rejection = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkspaceAgentError);
  return e as WorkspaceAgentError;
};

describe('HttpWorkspaceAgentClient: every read from the agent is bounded', () => {
  it('an endless /health answer is "not healthy", read no further than the health limit', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, '{"status":"ok","pad":"');
    });
    expect(await client.health(target.endpoint, 5000)).toBe(false);
    expect(sent).toBeLessThan(WORKSPACE_AGENT_READ_LIMITS.healthBytes + SOCKET_SLACK);
  });

  it('an endless error body becomes an WorkspaceAgentError quoting a bounded prefix', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      endless(res, 'boom ');
    });
    const e = await rejection(client.deleteFile(target, 'a'));
    expect(e.status).toBe(500);
    expect(e.code).toBe('agent_error');
    expect(e.message.startsWith('boom x')).toBe(true);
    expect(e.message.length).toBeLessThanOrEqual(WORKSPACE_AGENT_READ_LIMITS.errorBytes);
    expect(sent).toBeLessThan(WORKSPACE_AGENT_READ_LIMITS.errorBytes + SOCKET_SLACK);
  });

  it('an endless JSON error keeps the status and is not parsed past the limit', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      endless(res, '{"error":{"code":"not_found","message":"');
    });
    const e = await rejection(client.readFile(target, 'a'));
    expect(e.status).toBe(404);
    expect(e.message.length).toBeLessThanOrEqual(WORKSPACE_AGENT_READ_LIMITS.errorBytes);
  });

  it('an exec result past its limit is answer_too_large, never read whole', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, '{"stdout":"');
    });
    const e = await rejection(client.runCommand(target, { cmd: ['yes'] }));
    expect(e.code).toBe('answer_too_large');
    expect(e.message).toContain(String(WORKSPACE_AGENT_READ_LIMITS.commandResultBytes));
    expect(sent).toBeLessThan(WORKSPACE_AGENT_READ_LIMITS.commandResultBytes + SOCKET_SLACK);
  });

  it('a success that should have no body but sends one without end is answer_too_large', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      endless(res);
    });
    const e = await rejection(client.deleteFile(target, 'a'));
    expect(e.code).toBe('answer_too_large');
    expect(sent).toBeLessThan(WORKSPACE_AGENT_READ_LIMITS.errorBytes + SOCKET_SLACK);
  });

  it('a directory listing past its limit is answer_too_large', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, '{"entries":["');
    });
    const e = await rejection(client.readFile(target, 'dir'));
    expect(e.code).toBe('answer_too_large');
    expect(sent).toBeLessThan(WORKSPACE_AGENT_READ_LIMITS.listingBytes + SOCKET_SLACK);
  });

  it('a file is handed over as a stream of its content-length, read only as the consumer reads', async () => {
    const declared = 50 * 1024 ** 3; // far more than this machine's memory
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': declared });
      endless(res);
    });
    const r = await client.readFile(target, 'huge.bin');
    if (r.kind !== 'file') throw new Error('expected a file');
    expect(r.size).toBe(declared);
    // Nothing is read ahead: until the consumer reads, the server is stuck at what the sockets buffer.
    await new Promise((done) => setTimeout(done, 200));
    expect(sent).toBeLessThan(SOCKET_SLACK);
    // The consumer reads 64 MiB, hashing as it goes, then hangs up; memory stays flat meanwhile.
    const rssBefore = process.memoryUsage().rss;
    const hash = createHash('sha256');
    let read = 0;
    for await (const chunk of r.body) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (read >= 64 * 1024 * 1024) break;
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
  });

  it('binary stdout is a stream with its length, headers parsed', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': 3,
        'x-exit-code': '7',
        'x-timed-out': 'false',
        'x-duration-ms': '12',
      });
      res.end(Buffer.from([1, 2, 3]));
    });
    const r = await client.runBinaryCommand(target, { cmd: ['cat'] });
    expect(r).toMatchObject({ exitCode: 7, timedOut: false, durationMs: 12, size: 3 });
    const chunks: Buffer[] = [];
    for await (const c of r.stdout) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('a file or binary stdout without a content-length is refused (its length could not be passed on)', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked
      endless(res);
    });
    const file = await rejection(client.readFile(target, 'a'));
    expect(file.message).toContain('content-length');
    const bin = await rejection(client.runBinaryCommand(target, { cmd: ['cat'] }));
    expect(bin.message).toContain('content-length');
    expect(sent).toBeLessThan(2 * SOCKET_SLACK);
  });
});

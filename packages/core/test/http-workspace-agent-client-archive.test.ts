import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkspaceAgentError, HttpWorkspaceAgentClient, type WorkspaceAgentTarget } from '@berth/core';

let server: http.Server | undefined;
const client = new HttpWorkspaceAgentClient();
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A stand-in agent on loopback TCP; a handler that fails (the client went away) just drops the connection. */
async function agent(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>) {
  server = http.createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const target: WorkspaceAgentTarget = {
    endpoint: { kind: 'http', host: '127.0.0.1', port },
    token: 'tok-1',
  };
  return target;
}

/** `n` chunks of 64 KiB, counting how many the consumer pulled. */
function source(n: number) {
  const pulled = { count: 0 };
  const stream = new Readable({
    read() {
      if (pulled.count === n) return void this.push(null);
      pulled.count++;
      this.push(Buffer.alloc(64 * 1024, pulled.count % 256));
    },
  });
  return { stream, pulled };
}

describe('HttpWorkspaceAgentClient archives', () => {
  it('archiveIn streams the body (chunked, no length) and the agent sees every byte', async () => {
    let seen: { sha: string; bytes: number; length?: string; te?: string } | undefined;
    const target = await agent(async (req, res) => {
      const h = createHash('sha256');
      let bytes = 0;
      for await (const c of req) {
        h.update(c as Buffer);
        bytes += (c as Buffer).length;
      }
      seen = {
        sha: h.digest('hex'),
        bytes,
        length: req.headers['content-length'],
        te: req.headers['transfer-encoding'],
      };
      res.writeHead(204).end();
    });
    const { stream } = source(200); // 12.5 MiB, past the agent's old 6 MiB body limit
    const want = createHash('sha256');
    for (let i = 1; i <= 200; i++) want.update(Buffer.alloc(64 * 1024, i % 256));
    await client.archiveIn(target, '.', stream);
    expect(seen).toEqual({
      sha: want.digest('hex'),
      bytes: 200 * 64 * 1024,
      length: undefined,
      te: 'chunked',
    });
  });

  it('archiveIn respects backpressure: an agent that stops reading stops the source', async () => {
    let req: http.IncomingMessage | undefined;
    const target = await agent((r) => {
      req = r;
      r.pause(); // never reads
    });
    const { stream, pulled } = source(10_000); // 625 MiB if read whole
    const done = client.archiveIn(target, '.', stream).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    expect(pulled.count).toBeLessThan(200); // socket and stream buffers only: a few MiB
    req!.socket.destroy();
    expect(await done).toBeInstanceOf(WorkspaceAgentError);
  });

  it('archiveIn: an early refusal stops the upload and rejects with the agent error', async () => {
    const target = await agent((req, res) => {
      req.once('data', () => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 'invalid_request', message: 'tar member "../x" contains ".."' } }),
        );
      });
    });
    const { stream, pulled } = source(10_000);
    const e = (await client.archiveIn(target, '.', stream).catch((x: unknown) => x)) as WorkspaceAgentError;
    expect(e).toBeInstanceOf(WorkspaceAgentError);
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(stream.destroyed).toBe(true);
    expect(pulled.count).toBeLessThan(1000);
  });

  it("archiveIn: a failing source fails the request with the source's error", async () => {
    const target = await agent(async (req, res) => {
      for await (const _ of req) void _;
      res.writeHead(204).end();
    });
    const stream = new Readable({ read() {} });
    stream.push(Buffer.alloc(1000));
    setTimeout(() => stream.destroy(new Error('digest mismatch')), 20);
    const e = (await client.archiveIn(target, '.', stream).catch((x: unknown) => x)) as WorkspaceAgentError;
    expect(e).toBeInstanceOf(WorkspaceAgentError);
    expect(e.message).toMatch(/digest mismatch/);
  });

  it('archiveOut hands back the tar as a stream; manifest parses the agent answer', async () => {
    const manifest = { version: 1, tarBytes: 10240, tarSha256: '', files: 0, bytes: 0, entries: [] };
    const target = await agent((req, res) => {
      if (req.url === '/files/archive?path=.') {
        res.writeHead(200, { 'content-type': 'application/x-tar' });
        res.end(Buffer.alloc(10240));
      } else if (req.url === '/files/manifest?path=.') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(manifest));
      } else res.writeHead(404).end();
    });
    const out = await client.archiveOut(target, '.');
    let n = 0;
    for await (const c of out) n += (c as Buffer).length;
    expect(n).toBe(10240);
    expect(await client.manifest(target, '.')).toEqual(manifest);
  });

  it('archiveOut: an archive that breaks off mid-way is an error, never a short tar', async () => {
    const target = await agent((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-tar' });
      res.write(Buffer.alloc(4096));
      setTimeout(() => res.destroy(), 20);
    });
    const out = await client.archiveOut(target, '.');
    await expect(
      (async () => {
        for await (const _ of out) void _;
      })(),
    ).rejects.toThrow();
  });
});

import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from './helpers.js';

/** Plays the egress proxy: echoes every byte back on its Unix socket, and ends when the client ends. */
function startEchoServer(path: string): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port }, () => sock.end(payload));
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
  });
}

describe('proxy forwarder', () => {
  let t: TestAgent;
  let echo: Server;
  beforeAll(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'berth-proxy-'));
    const proxySocket = join(dir, 'proxy.sock');
    echo = await startEchoServer(proxySocket);
    t = await startTestAgent({ proxySocket, proxyPort: 0, proxyUrl: 'http://127.0.0.1:3128' });
  });
  afterAll(async () => {
    await t.stop();
    echo.close();
  });

  it('listens on loopback and pipes bytes both ways to the Unix socket', async () => {
    expect(t.agent.proxyPort).toBeGreaterThan(0);
    const payload = Buffer.concat([
      Buffer.from('CONNECT example.com:443 HTTP/1.1\r\n\r\n'),
      randomBytes(200_000),
    ]);
    const back = await roundTrip(t.agent.proxyPort as number, payload);
    expect(back.equals(payload)).toBe(true);
  });

  it('handles several connections at once', async () => {
    const payloads = [1, 2, 3, 4, 5].map((n) => randomBytes(10_000 * n));
    const backs = await Promise.all(payloads.map((p) => roundTrip(t.agent.proxyPort as number, p)));
    backs.forEach((b, i) => expect(b.equals(payloads[i] as Buffer)).toBe(true));
  });

  it('closes the client connection when the proxy socket is not there', async () => {
    const lonely = await startTestAgent({ proxySocket: join(t.dir, 'no-proxy.sock'), proxyPort: 0 });
    try {
      const closed = await new Promise<string>((resolve) => {
        const sock = connect({ host: '127.0.0.1', port: lonely.agent.proxyPort as number }, () =>
          sock.write('x'),
        );
        sock.on('error', () => resolve('error'));
        sock.on('close', () => resolve('closed'));
      });
      expect(['error', 'closed']).toContain(closed);
    } finally {
      await lonely.stop();
    }
  });
});

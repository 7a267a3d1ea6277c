import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../helpers/admin.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  allowing,
  controlPlaneKeys,
  egressToken,
  MemoryPolicies,
  startTestGateway,
} from '../helpers/gateway.js';
import type { TestRelay } from './relay-setup.js';
import { adminToken, RELAY_WORKSPACE, startTestRelay } from './relay-setup.js';

// Bodies of ~100 MiB through relay → gateway → upstream, both ways: intact, and held back end to end
// when the receiver stops reading (what a relay that buffered whole bodies could not do).

const MiB = 1024 * 1024;
const SIZE = 96 * MiB;
const CHUNK = Buffer.alloc(64 * 1024, 'berth-relay-stream-');

/** The body as a stream; `sent` counts what has been produced so far. */
function pattern(size: number, progress: { sent: number } = { sent: 0 }) {
  return Readable.from(
    (function* () {
      for (let at = 0; at < size; at += CHUNK.length) {
        const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, size - at));
        progress.sent += chunk.length;
        yield chunk;
      }
    })(),
  );
}

const sha256Of = async (stream: AsyncIterable<unknown>) => {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('large bodies through the relay', () => {
  const keys = controlPlaneKeys();
  const policies = new MemoryPolicies();
  const download = { sent: 0 };
  let expected: { size: number; sha256: string };
  let upstream: Server;
  let port: number;
  let gateway: TestGateway;
  let relay: TestRelay;

  beforeAll(async () => {
    expected = await sha256Of(pattern(SIZE));
    upstream = createServer(async (req, res) => {
      if (req.url === '/download') {
        download.sent = 0;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        await pipeline(pattern(SIZE, download), res).catch(() => undefined);
        return;
      }
      res.end(JSON.stringify(await sha256Of(req)));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as AddressInfo).port;
    policies.policies.set(RELAY_WORKSPACE, { tenantId: 't_1', policy: allowing(`big.test:${port}`) });
    gateway = await startTestGateway(keys.publicKey, policies, { testHosts: { 'big.test': ['127.0.0.1'] } });
    relay = await startTestRelay(keys.publicKey, gateway.port);
    const reply = await admin(relay.adminPort, 'PUT', '/admin/credential', {
      headers: { authorization: `Bearer ${adminToken(keys.privateKey)}` },
      body: { token: egressToken(keys.privateKey, RELAY_WORKSPACE) },
    });
    expect(reply.status).toBe(200);
  });

  afterAll(async () => {
    await relay.close();
    await gateway.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('uploads 96 MiB intact (streamed with Transfer-Encoding: chunked)', async () => {
    const result = await new Promise<unknown>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: relay.port,
          method: 'POST',
          path: `http://big.test:${port}/upload`,
          agent: false,
        },
        (res: IncomingMessage) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(body)));
        },
      );
      req.on('error', reject);
      pipeline(pattern(SIZE), req).catch(reject);
    });
    expect(result).toEqual(expected);
  }, 60_000);

  it('downloads 96 MiB intact, the upstream held back while the reader pauses', async () => {
    let sentWhilePaused = 0;
    const result = await new Promise<{ size: number; sha256: string }>((resolve, reject) => {
      const path = `http://big.test:${port}/download`;
      const req = request({ host: '127.0.0.1', port: relay.port, path, agent: false }, (res) => {
        const hash = createHash('sha256');
        let size = 0;
        let paused = false;
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
          if (!paused && size >= 4 * MiB) {
            paused = true;
            res.pause();
            void sleep(500).then(() => {
              sentWhilePaused = download.sent;
              res.resume();
            });
          }
        });
        res.on('end', () => resolve({ size, sha256: hash.digest('hex') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(result).toEqual(expected);
    // Socket buffers along three loopback connections can hold up to ~30 MiB; the body is far larger.
    expect(sentWhilePaused, `upstream had produced ${sentWhilePaused} bytes`).toBeLessThan(SIZE / 2);
  }, 60_000);
});

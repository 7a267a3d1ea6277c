import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProxy } from './helpers/child-proxy.js';
import { spawnProxy } from './helpers/child-proxy.js';
import { eventually } from './helpers/proxy.js';

// The proxy runs as its own process. Two measures:
//  - retained memory (heap + ArrayBuffers after a forced GC) while the receiving side has stopped
//    reading in the middle of a 50 MiB body: a proxy that buffers instead of applying backpressure
//    would be holding tens of MiB at that moment;
//  - peak RSS over the whole transfer. It includes read buffers V8 has not collected yet (around
//    30 MiB here, whatever the body size), so it only shows that the body was never held whole.

const MiB = 1024 * 1024;
const SIZE = 50 * MiB;
const PAUSE_AT = 8 * MiB;
const CHUNK = Buffer.alloc(64 * 1024, 'berth-proxy-stream-');
const PROBE = fileURLToPath(new URL('./fixtures/memory-probe.ts', import.meta.url));

const pattern = (size: number) =>
  Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += CHUNK.length)
        yield CHUNK.subarray(0, Math.min(CHUNK.length, size - sent));
    })(),
  );

const sha256Of = async (size: number) => {
  const hash = createHash('sha256');
  for await (const chunk of pattern(size)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

/**
 * Reads a body to the end, hashing it; after `PAUSE_AT` bytes it stops reading once for `onPause`
 * (whatever the other side sends meanwhile has to wait somewhere: in the proxy if it buffers).
 */
async function consume(stream: IncomingMessage, onPause: () => Promise<void>) {
  const hash = createHash('sha256');
  let size = 0;
  let paused = false;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (!paused && size >= PAUSE_AT) {
      paused = true;
      await onPause();
    }
  }
  return { size, sha256: hash.digest('hex') };
}

describe('large bodies stream through the proxy without being buffered', () => {
  let upstream: Server;
  let port: number;
  let proxy: ChildProxy;
  let onUploadPause: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    upstream = createServer(async (req, res) => {
      if (req.url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        await pipeline(pattern(SIZE), res);
        return;
      }
      const result = await consume(req, () => onUploadPause());
      res.end(JSON.stringify(result));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as AddressInfo).port;
    proxy = await spawnProxy(
      {
        PROXY_LISTEN: '127.0.0.1:0',
        PROXY_ALLOW_DOMAINS: `big.test:${port}`,
        PROXY_ALLOW_LOOPBACK: '1',
        PROXY_TEST_HOSTS: 'big.test=127.0.0.1',
      },
      ['--expose-gc', '--import', PROBE],
    );
  });

  afterAll(async () => {
    await proxy?.stop();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  /** Asks the child to collect garbage and report retained memory. */
  async function probe(): Promise<Memory> {
    const before = proxy.lines.filter((l) => l['message'] === 'memory').length;
    proxy.child.kill('SIGUSR2');
    await eventually(() => proxy.lines.filter((l) => l['message'] === 'memory').length > before);
    return proxy.lines.filter((l) => l['message'] === 'memory').at(-1) as unknown as Memory;
  }

  /** While the receiver is stopped: let buffers fill, then measure retained memory. */
  const measureWhilePaused = (into: { memory?: Memory }) => async () => {
    await sleep(300);
    into.memory = await probe();
  };

  const retained = (m: Memory) => m.heapUsed + m.arrayBuffers;

  function download(onPause: () => Promise<void>) {
    return new Promise<{ size: number; sha256: string }>((resolve, reject) => {
      const path = `http://big.test:${port}/download`;
      const req = request({ host: '127.0.0.1', port: proxy.port, path, agent: false }, (res) =>
        consume(res, onPause).then(resolve, reject),
      );
      req.on('error', reject);
      req.end();
    });
  }

  function upload() {
    return new Promise<{ size: number; sha256: string }>((resolve, reject) => {
      const options = {
        host: '127.0.0.1',
        port: proxy.port,
        method: 'POST',
        path: `http://big.test:${port}/upload`,
        agent: false,
        headers: { 'content-length': SIZE },
      };
      const req = request(options, async (res) => {
        let body = '';
        for await (const chunk of res) body += String(chunk);
        resolve(JSON.parse(body) as { size: number; sha256: string });
      });
      req.on('error', reject);
      pipeline(pattern(SIZE), req).catch(reject);
    });
  }

  async function peakRss(work: () => Promise<void>): Promise<number> {
    const pid = proxy.child.pid ?? 0;
    let peak = rssOf(pid);
    const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 10);
    await work().finally(() => clearInterval(timer));
    return peak;
  }

  it('downloads 50 MiB intact, holding back the upstream while the reader pauses', async () => {
    await download(async () => undefined); // warm-up
    await sleep(200);
    const baseline = await probe();
    const paused: { memory?: Memory } = {};
    let result = { size: 0, sha256: '' };
    const peak = await peakRss(async () => {
      result = await download(measureWhilePaused(paused));
    });
    expect(result).toEqual({ size: SIZE, sha256: await sha256Of(SIZE) });
    const held = retained(paused.memory as Memory) - retained(baseline);
    expect(held, `retained ${held} bytes while the reader paused`).toBeLessThan(3 * MiB);
    expect(peak - baseline.rss, `peak RSS ${peak} vs ${baseline.rss}`).toBeLessThan(SIZE);
  }, 60_000);

  it('uploads 50 MiB intact, holding back the workspace while the upstream pauses', async () => {
    await upload(); // warm-up
    await sleep(200);
    const baseline = await probe();
    const paused: { memory?: Memory } = {};
    onUploadPause = measureWhilePaused(paused);
    let result = { size: 0, sha256: '' };
    const peak = await peakRss(async () => {
      result = await upload();
    });
    onUploadPause = async () => undefined;
    expect(result).toEqual({ size: SIZE, sha256: await sha256Of(SIZE) });
    const held = retained(paused.memory as Memory) - retained(baseline);
    expect(held, `retained ${held} bytes while the upstream paused`).toBeLessThan(3 * MiB);
    expect(peak - baseline.rss, `peak RSS ${peak} vs ${baseline.rss}`).toBeLessThan(SIZE);
  }, 60_000);
});

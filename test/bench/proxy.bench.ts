import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '@berth/aws/local';
import { ms, summarize, type Summary } from './stats.js';

// Egress proxy benchmark: the same loopback upstream reached directly, through Berth's proxy-sidecar
// (the shipped esbuild bundle, as a child process) and through tinyproxy (Debian package, its own
// process). Small GETs over a keep-alive client for latency; a 10 MiB download for throughput.

const SMALL_REQUESTS = 2000;
const SMALL_WARMUP = 300;
const BIG_SIZE = 10 * 1024 * 1024;
const BIG_RUNS = 20;
const BIG_WARMUP = 3;
const ROUNDS = 5;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Variant {
  name: string;
  /** Where the client connects. */
  port: number;
  /** Request target: origin-form for direct, absolute-form through a proxy. */
  target: (path: string) => string;
  /** tinyproxy closes the client connection after each request (no keep-alive towards the client). */
  keepAlive: boolean;
}

interface Result {
  variant: string;
  latency: Summary;
  mbPerSec: number;
}

async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createNetServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true)); // EADDRINUSE: someone listens
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

async function startUpstream(): Promise<{ server: Server; port: number }> {
  const small = Buffer.from(JSON.stringify({ ok: true, pad: 'x'.repeat(64) }));
  const big = Buffer.alloc(BIG_SIZE, 'berth');
  const server = http.createServer((req, res) => {
    const body = req.url === '/big' ? big : small;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function startBerth(upstreamPort: number, port: number, dir: string): ChildProcess {
  // The same bundle the image ships, built into a scratch directory.
  const bundle = join(dir, 'proxy.mjs');
  execFileSync(process.execPath, [join(ROOT, 'proxy-sidecar/scripts/bundle.mjs'), bundle], {
    stdio: 'ignore',
  });
  const child = spawn(process.execPath, [bundle], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PROXY_LISTEN: `127.0.0.1:${port}`,
      PROXY_ADMIN_LISTEN: 'off',
      PROXY_ADMIN_SECRET: 'bench-admin-secret-0123456789',
      PROXY_ALLOW_DOMAINS: `bench.test:${upstreamPort}`,
      PROXY_ALLOW_LOOPBACK: '1', // the upstream is on loopback
      PROXY_TEST_HOSTS: 'bench.test=127.0.0.1', // no DNS in the loop, like tinyproxy given an IP
      PROXY_WORKSPACE_ID: 'bench',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    // Audit lines are formatted and written (part of the cost) to /dev/null. Not to a pipe this process
    // reads: Node writes pipes synchronously, so a bench loop slow to drain it would stall the proxy, which
    // a container log driver does not do.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function startTinyproxy(port: number, dir: string): ChildProcess {
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 600',
      'Allow 127.0.0.1',
      'MaxClients 100',
      'LogLevel Connect', // one line per connection, like Berth's audit line
      'DisableViaHeader Yes',
      '',
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  return child;
}

function get(variant: Variant, pool: http.Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: variant.port, path: variant.target(path), agent: pool },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(size) : reject(new Error(`${variant.name}: ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Samples of one variant, gathered over several rounds. */
interface Samples {
  small: number[];
  big: number[];
}

async function warmUp(variant: Variant, pool: http.Agent): Promise<void> {
  for (let i = 0; i < SMALL_WARMUP; i++) await get(variant, pool, '/small');
  for (let i = 0; i < BIG_WARMUP; i++) await get(variant, pool, '/big');
}

async function oneRound(variant: Variant, pool: http.Agent, into: Samples): Promise<void> {
  for (let i = 0; i < SMALL_REQUESTS / ROUNDS; i++) {
    const t = performance.now();
    await get(variant, pool, '/small');
    into.small.push(performance.now() - t);
  }
  for (let i = 0; i < BIG_RUNS / ROUNDS; i++) {
    const t = performance.now();
    const size = await get(variant, pool, '/big');
    into.big.push(performance.now() - t);
    if (size !== BIG_SIZE) throw new Error(`${variant.name}: got ${size} bytes`);
  }
}

/** Rounds interleave the variants, so background load on the machine hits them all alike. */
async function measureAll(variants: Variant[]): Promise<Result[]> {
  const pools = variants.map((v) => new http.Agent({ keepAlive: v.keepAlive, maxSockets: 1 }));
  const samples = variants.map((): Samples => ({ small: [], big: [] }));
  for (const [i, variant] of variants.entries()) await warmUp(variant, pools[i] as http.Agent);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, variant] of variants.entries())
      await oneRound(variant, pools[i] as http.Agent, samples[i] as Samples);
  }
  for (const pool of pools) pool.destroy();
  return variants.map((variant, i) => ({
    variant: variant.name,
    latency: summarize(samples[i]?.small ?? []),
    mbPerSec: BIG_SIZE / 1e6 / (summarize(samples[i]?.big ?? []).median / 1000),
  }));
}

function section(results: Result[]): string {
  const direct = results.find((r) => r.variant === 'direct');
  const lines = [
    '## Egress proxy (proxy-sidecar)',
    '',
    `Loopback upstream; ${SMALL_REQUESTS} sequential small GETs (after ${SMALL_WARMUP} warm-up; keep-alive client, except for ` +
      `tinyproxy, which closes the client connection after each response) and ${BIG_RUNS} downloads of 10 MiB (median), ` +
      `in ${ROUNDS} rounds that interleave the variants. "Added" is the proxy's p50/p95 minus direct. ` +
      'Berth runs its shipped bundle with audit lines on; tinyproxy 1.11 with `LogLevel Connect`. ' +
      'Reproduce: `npx tsx test/bench/proxy.bench.ts`.',
    '',
    '| variant | p50 ms | p95 ms | added p50 ms | added p95 ms | 10 MiB download MB/s |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const addP50 = direct ? ms(Math.max(0, r.latency.median - direct.latency.median)) : '–';
    const addP95 = direct ? ms(Math.max(0, r.latency.p95 - direct.latency.p95)) : '–';
    lines.push(
      `| ${r.variant} | ${ms(r.latency.median)} | ${ms(r.latency.p95)} | ${r.variant === 'direct' ? '–' : addP50} | ` +
        `${r.variant === 'direct' ? '–' : addP95} | ${r.mbPerSec.toFixed(0)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the benchmark and returns a markdown section for BENCHMARKS.md. */
export async function runProxyBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-bench-'));
  const upstream = await startUpstream();
  const berthPort = await freePort();
  const tinyPort = await freePort();
  const berth = startBerth(upstream.port, berthPort, dir);
  const tiny = startTinyproxy(tinyPort, dir);
  try {
    await waitForPort(berthPort, berth, 'proxy-sidecar');
    await waitForPort(tinyPort, tiny, 'tinyproxy');
    const variants: Variant[] = [
      { name: 'direct', port: upstream.port, target: (p) => p, keepAlive: true },
      {
        name: 'berth proxy-sidecar',
        port: berthPort,
        target: (p) => `http://bench.test:${upstream.port}${p}`,
        keepAlive: true,
      },
      {
        name: 'tinyproxy',
        port: tinyPort,
        target: (p) => `http://127.0.0.1:${upstream.port}${p}`,
        keepAlive: false,
      },
    ];
    return section(await measureAll(variants));
  } finally {
    berth.kill('SIGTERM');
    tiny.kill('SIGTERM');
    upstream.server.closeAllConnections();
    upstream.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runProxyBench().then(
    (markdown) => {
      console.log(markdown);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

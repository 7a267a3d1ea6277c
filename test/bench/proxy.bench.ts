import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '@berth/aws/local';
import { SIDECAR_ADMIN } from '@berth/protocol';
import type { TokenAudience } from '@berth/protocol/agent-token';
import { agentPublicKeyText, signAgentToken } from '@berth/protocol/agent-token';
import { ms, summarize, type Summary } from './stats.js';

// Egress proxy benchmark: the same loopback upstream reached directly, through Berth's proxy-sidecar
// (the shipped esbuild bundle, as a child process), through the egress gateway (a client holding the
// workspace's egress token), through the relay in front of that gateway (the ECS path), and through
// tinyproxy (Debian package). Every proxy is its own process. Small GETs over a keep-alive client for
// latency; a 10 MiB download for throughput.

/** How much each variant is measured. */
export interface ProxyBenchSizes {
  smallRequests: number;
  smallWarmup: number;
  bigRuns: number;
  bigWarmup: number;
  rounds: number;
}

const FULL: ProxyBenchSizes = { smallRequests: 2000, smallWarmup: 300, bigRuns: 20, bigWarmup: 3, rounds: 5 };
/** `--quick`: enough to see that every path works and roughly where it stands. */
const QUICK: ProxyBenchSizes = { smallRequests: 500, smallWarmup: 100, bigRuns: 5, bigWarmup: 1, rounds: 5 };

const BIG_SIZE = 10 * 1024 * 1024;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GATEWAY_CHILD = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));
/** The workspace the gateway and the relay serve. */
const WORKSPACE = 'ws_bench';

interface Variant {
  name: string;
  /** Where the client connects. */
  port: number;
  /** Request target: origin-form for direct, absolute-form through a proxy. */
  target: (path: string) => string;
  /** tinyproxy closes the client connection after each request (no keep-alive towards the client). */
  keepAlive: boolean;
  /** Sent with every request (the gateway's Proxy-Authorization). */
  headers?: Record<string, string>;
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

/** The sidecar and the relay, bundled as the image ships them (dir/proxy.mjs, dir/relay.mjs). */
function bundleProxies(dir: string): void {
  execFileSync(process.execPath, [join(ROOT, 'proxy-sidecar/scripts/bundle.mjs'), dir], { stdio: 'ignore' });
}

// Audit lines are formatted and written (part of the cost) to /dev/null. Not to a pipe this process reads:
// Node writes pipes synchronously, so a bench loop slow to drain it would stall the proxy, which a
// container log driver does not do.
const CHILD_STDIO: ['ignore', 'ignore', 'inherit'] = ['ignore', 'ignore', 'inherit'];

function startBerth(upstreamPort: number, port: number, dir: string): ChildProcess {
  return spawn(process.execPath, [join(dir, 'proxy.mjs')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PROXY_LISTEN: `127.0.0.1:${port}`,
      PROXY_ALLOW_DOMAINS: `bench.test:${upstreamPort}`,
      PROXY_ALLOW_LOOPBACK: '1', // the upstream is on loopback
      PROXY_TEST_HOSTS: 'bench.test=127.0.0.1', // no DNS in the loop, like tinyproxy given an IP
      PROXY_WORKSPACE_ID: 'bench',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: CHILD_STDIO,
  });
}

/** The control plane's signing key, as far as the bench plays it: signs tokens, hands out the public key. */
function controlPlaneKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyText: agentPublicKeyText(publicKey),
    token(audience: TokenAudience, lifetimeSeconds: number): string {
      const issuedAt = Math.floor(Date.now() / 1000);
      return signAgentToken(privateKey, {
        audience,
        workspaceId: WORKSPACE,
        issuedAt,
        expiresAt: issuedAt + lifetimeSeconds,
      });
    },
  };
}

/** The gateway under the repo's tsx (gateway-child.ts): deployed configuration, the workspace's rules in memory. */
function startGateway(upstreamPort: number, port: number, publicKeyText: string): ChildProcess {
  return spawn(process.execPath, ['--import', import.meta.resolve('tsx'), GATEWAY_CHILD], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PROXY_LISTEN: `127.0.0.1:${port}`,
      PROXY_TOKEN_PUBLIC_KEY: publicKeyText,
      PROXY_POLICY_TABLE: 'bench-unused', // required; the rules come from memory
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_TEST_HOSTS: 'bench.test=127.0.0.1',
      BENCH_WORKSPACE_ID: WORKSPACE,
      BENCH_WORKSPACE_ALLOW: `bench.test:${upstreamPort}`,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: CHILD_STDIO,
  });
}

function startRelay(
  port: number,
  adminPort: number,
  gatewayPort: number,
  publicKeyText: string,
  dir: string,
) {
  return spawn(process.execPath, [join(dir, 'relay.mjs')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PROXY_LISTEN: `127.0.0.1:${port}`,
      PROXY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      PROXY_WORKSPACE_ID: WORKSPACE,
      PROXY_TOKEN_PUBLIC_KEY: publicKeyText,
      PROXY_GATEWAY: `127.0.0.1:${gatewayPort}`,
    },
    stdio: CHILD_STDIO,
  });
}

/** What the control plane does once the relay is up: PUT the workspace's egress token to its admin API. */
async function pushCredential(adminPort: number, adminToken: string, credential: string): Promise<void> {
  const body = JSON.stringify({ token: credential });
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: adminPort,
        method: 'PUT',
        path: SIDECAR_ADMIN.credentialPath,
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 200) throw new Error(`relay refused the credential: ${status} ${text}`);
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
  return spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
}

function get(variant: Variant, pool: http.Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: variant.port,
        path: variant.target(path),
        agent: pool,
        ...(variant.headers ? { headers: variant.headers } : {}),
      },
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

async function warmUp(sizes: ProxyBenchSizes, variant: Variant, pool: http.Agent): Promise<void> {
  for (let i = 0; i < sizes.smallWarmup; i++) await get(variant, pool, '/small');
  for (let i = 0; i < sizes.bigWarmup; i++) await get(variant, pool, '/big');
}

async function oneRound(sizes: ProxyBenchSizes, variant: Variant, pool: http.Agent, into: Samples) {
  for (let i = 0; i < Math.ceil(sizes.smallRequests / sizes.rounds); i++) {
    const t = performance.now();
    await get(variant, pool, '/small');
    into.small.push(performance.now() - t);
  }
  for (let i = 0; i < Math.ceil(sizes.bigRuns / sizes.rounds); i++) {
    const t = performance.now();
    const size = await get(variant, pool, '/big');
    into.big.push(performance.now() - t);
    if (size !== BIG_SIZE) throw new Error(`${variant.name}: got ${size} bytes`);
  }
}

/** Rounds interleave the variants, so background load on the machine hits them all alike. */
async function measureAll(sizes: ProxyBenchSizes, variants: Variant[]): Promise<Result[]> {
  const pools = variants.map((v) => new http.Agent({ keepAlive: v.keepAlive, maxSockets: 1 }));
  const samples = variants.map((): Samples => ({ small: [], big: [] }));
  for (const [i, variant] of variants.entries()) await warmUp(sizes, variant, pools[i] as http.Agent);
  for (let round = 0; round < sizes.rounds; round++) {
    for (const [i, variant] of variants.entries())
      await oneRound(sizes, variant, pools[i] as http.Agent, samples[i] as Samples);
  }
  for (const pool of pools) pool.destroy();
  return variants.map((variant, i) => ({
    variant: variant.name,
    latency: summarize(samples[i]?.small ?? []),
    mbPerSec: BIG_SIZE / 1e6 / (summarize(samples[i]?.big ?? []).median / 1000),
  }));
}

/** Names of the variants, and the one line BENCHMARKS.md gives each path. */
const PATHS = {
  direct: ['direct', 'the client straight to the upstream, no proxy.'],
  sidecar: [
    'berth proxy-sidecar',
    "the workspace's own sidecar (local Docker): policy in the process, allowlist checked per request.",
  ],
  gateway: [
    'berth gateway',
    "the client sends the workspace's egress token (`Proxy-Authorization: Bearer`) to the shared gateway: " +
      'Ed25519 check per request, then the workspace policy from the 1 s cache (its rules from memory here, ' +
      'from DynamoDB deployed).',
  ],
  relay: [
    'berth relay → gateway (ECS path)',
    "the workspace's client, no credential → the relay in its task, which adds the credential the control " +
      'plane pushed to its admin API → the gateway → the upstream: two proxy hops (both on loopback here; ' +
      'the second crosses an NLB deployed).',
  ],
  tinyproxy: [
    'tinyproxy',
    'tinyproxy 1.11 with `LogLevel Connect`, for scale: no policy beyond `Allow 127.0.0.1`.',
  ],
} as const;

function section(sizes: ProxyBenchSizes, results: Result[]): string {
  const direct = results.find((r) => r.variant === PATHS.direct[0]);
  const added = (v: number, base: number | undefined) =>
    base === undefined ? '–' : ms(Math.max(0, v - base));
  const lines = [
    '## Egress proxy (sidecar, gateway, relay → gateway)',
    '',
    `Loopback upstream; ${sizes.smallRequests} sequential small GETs (after ${sizes.smallWarmup} warm-up; keep-alive client, ` +
      `except for tinyproxy, which closes the client connection after each response) and ${sizes.bigRuns} downloads of ` +
      `10 MiB (median), in ${sizes.rounds} rounds that interleave the variants. "Added" is the proxy's p50/p95 minus ` +
      "direct's. Every proxy is its own process with audit lines on: the sidecar and the relay are the shipped " +
      'bundles, the gateway is its source under tsx with the deployed configuration (test/bench/gateway-child.ts). ' +
      'Reproduce: `node scripts/with-node22.mjs tsx test/bench/proxy.bench.ts`.',
    '',
    '| variant | p50 ms | p95 ms | added p50 ms | added p95 ms | 10 MiB download MB/s |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const isDirect = r === direct;
    lines.push(
      `| ${r.variant} | ${ms(r.latency.median)} | ${ms(r.latency.p95)} | ` +
        `${isDirect ? '–' : added(r.latency.median, direct?.latency.median)} | ` +
        `${isDirect ? '–' : added(r.latency.p95, direct?.latency.p95)} | ${r.mbPerSec.toFixed(0)} |`,
    );
  }
  lines.push('');
  for (const [name, what] of Object.values(PATHS)) lines.push(`- **${name}**: ${what}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the benchmark and returns a markdown section for BENCHMARKS.md. */
export async function runProxyBench(sizes: ProxyBenchSizes = FULL): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-bench-'));
  const upstream = await startUpstream();
  const target = (p: string) => `http://bench.test:${upstream.port}${p}`;
  const berthPort = await freePort();
  const tinyPort = await freePort();
  const gatewayPort = await freePort();
  const relayPort = await freePort();
  const relayAdminPort = await freePort();
  const key = controlPlaneKey();
  const children: [string, ChildProcess, number[]][] = [];
  try {
    bundleProxies(dir);
    children.push(
      ['proxy-sidecar', startBerth(upstream.port, berthPort, dir), [berthPort]],
      ['tinyproxy', startTinyproxy(tinyPort, dir), [tinyPort]],
      ['gateway', startGateway(upstream.port, gatewayPort, key.publicKeyText), [gatewayPort]],
      [
        'relay',
        startRelay(relayPort, relayAdminPort, gatewayPort, key.publicKeyText, dir),
        [relayPort, relayAdminPort],
      ],
    );
    for (const [name, child, ports] of children)
      for (const port of ports) await waitForPort(port, child, name);
    // Credentials as the control plane issues them: long enough for the whole run.
    await pushCredential(relayAdminPort, key.token('proxy', 300), key.token('egress', 6 * 3600));
    const egressToken = key.token('egress', 6 * 3600);

    const variants: Variant[] = [
      { name: PATHS.direct[0], port: upstream.port, target: (p) => p, keepAlive: true },
      { name: PATHS.sidecar[0], port: berthPort, target, keepAlive: true },
      {
        name: PATHS.gateway[0],
        port: gatewayPort,
        target,
        keepAlive: true,
        headers: { 'proxy-authorization': `Bearer ${egressToken}` },
      },
      { name: PATHS.relay[0], port: relayPort, target, keepAlive: true },
      {
        name: PATHS.tinyproxy[0],
        port: tinyPort,
        target: (p) => `http://127.0.0.1:${upstream.port}${p}`,
        keepAlive: false,
      },
    ];
    return section(sizes, await measureAll(sizes, variants));
  } finally {
    for (const [, child] of children) child.kill('SIGTERM');
    upstream.server.closeAllConnections();
    upstream.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `--quick`: fewer requests, to check the variants after a change; BENCHMARKS.md keeps the full run.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runProxyBench(process.argv.includes('--quick') ? QUICK : FULL).then(
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

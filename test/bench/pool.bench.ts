import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeBerthLeftovers } from '../support/leftovers.js';
import { startBerthProcess } from './berth-process.js';
import {
  COMPUTESDK_MODES,
  COMPUTESDK_PUBLISHED,
  computesdkScore,
  computesdkStats,
  type ComputesdkMode,
} from './computesdk-method.js';
import { BenchClient } from './http-client.js';
import { ms, summarize, type Summary } from './stats.js';
import {
  deleteWorkspaces,
  idsOf,
  launchedRuns,
  sequentialRuns,
  waitForFullPool,
  type TtiRun,
} from './time-to-interactive.js';

const KEY = `bench_${randomBytes(12).toString('hex')}`;
const LABEL_PREFIX = 'bench.berth.pool';
/** The warm pool's size (BERTH_POOL_TARGETS `default:50`: fixed, no adaptation). */
const POOL = 50;
/**
 * The pool Berth's sweep timer, which also paces its refills (at most `pool.maxConcurrentStarts`, 4, members
 * started per refill; a refill runs after each claim or miss and on this timer). The default is 5 s.
 */
const REFILL_TICK_MS = 1000;
/**
 * Smaller than computesdk's 100 where the bench would take too long: every create costs a container start
 * (here ~0.4 s of the whole 2-core machine), a pool hit too (its replacement).
 */
const SIZES = {
  /** create → `node -v` one at a time, each deleted before the next. */
  cold: 10,
  hits: 20,
  burst: 50,
  /** computesdk's sequential mode, without a pool and with it (100 there). */
  sequentialCold: 20,
  sequentialPool: 40,
};

interface Batch {
  runs: TtiRun[];
  wallMs: number;
  /** Share of the host's CPU busy meanwhile (launched batches). */
  cpuBusy?: number;
}

type ModeBatches = Record<ComputesdkMode, Batch>;
/** Without a pool only the sequential mode runs: bursts of cold starts are the burst of 50 above, at length. */
type ColdModeBatches = Pick<ModeBatches, 'sequential'>;

export interface PoolBenchResults {
  cold: TtiRun[];
  hits: TtiRun[];
  /** Berth's own EMF metrics over the hits: the create request inside Berth, and the claimed member's binding. */
  hitsInside: { acquire: number[]; bind: number[] };
  burstCold: Batch;
  burstPool: Batch;
  /** Process ready → pool full; burst start → pool full again (its 50 members claimed). */
  fillMs: number;
  refillMs: number;
  computesdk: { cold: ColdModeBatches; pool: ModeBatches };
}

const started = performance.now();
const log = (message: string) =>
  console.log(`[bench]   +${((performance.now() - started) / 1000).toFixed(0)} s ${message}`);

async function withBerth<T>(
  pool: number,
  fn: (client: BenchClient, logFile: string) => Promise<T>,
): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-bench-pool-'));
  const logFile = join(stateDir, 'berth.log');
  const berth = await startBerthProcess({
    stateDir,
    apiKeys: `bench:${KEY}`,
    labelPrefix: LABEL_PREFIX,
    logFile,
    env: pool
      ? { BERTH_POOL_TARGETS: `default:${pool}`, BERTH_SWEEP_INTERVAL_MS: String(REFILL_TICK_MS) }
      : {},
  });
  // One connection per request of a burst: the client must not queue them.
  const client = new BenchClient(berth.url, KEY, { maxSockets: 256 });
  try {
    return await fn(client, logFile);
  } finally {
    client.close();
    await berth.stop();
    await removeBerthLeftovers({ labelPrefix: LABEL_PREFIX, stateDir });
  }
}

/** The values of one EMF metric in Berth's log (a metric line holds one value or an array of them). */
async function emfValues(logFile: string, metric: string): Promise<number[]> {
  const out: number[] = [];
  for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!line.startsWith('{"_aws"') || !line.includes(`"${metric}"`)) continue;
    const v = (JSON.parse(line) as Record<string, unknown>)[metric];
    out.push(...(Array.isArray(v) ? (v as number[]) : [v as number]));
  }
  return out;
}

/** computesdk/benchmarks' sequential mode: create → probe → `node -v`, each deleted before the next. */
async function computesdkSequential(client: BenchClient, label: string, iterations: number): Promise<Batch> {
  log(`${label}: computesdk sequential × ${iterations}`);
  const t = performance.now();
  const runs = await sequentialRuns(client, iterations, `${label}-seq`, { probe: true });
  return { runs, wallMs: performance.now() - t };
}

/** computesdk/benchmarks' staggered or burst mode; deleted (and stopped) afterwards. */
async function computesdkLaunched(client: BenchClient, label: string, mode: 'staggered' | 'burst') {
  log(`${label}: computesdk ${mode} × ${COMPUTESDK_MODES[mode].concurrency}`);
  const delayMs = mode === 'staggered' ? COMPUTESDK_MODES.staggered.delayMs : 0;
  const batch = await launchedRuns(client, COMPUTESDK_MODES[mode].concurrency, delayMs, `${label}-${mode}`, {
    probe: true,
  });
  await deleteWorkspaces(client, idsOf(batch.runs));
  return batch;
}

/**
 * Warm pool against cold starts, each in its own Berth process (`npm start` with BERTH_POOL_TARGETS or
 * without): create → first command done one at a time and in bursts, the pool's refill rate, and
 * computesdk/benchmarks' three modes.
 */
export async function runPoolBench(): Promise<PoolBenchResults> {
  const coldPart = await withBerth(0, async (client) => {
    log(`no pool: create → node -v × ${SIZES.cold}`);
    await sequentialRuns(client, 2, 'warmup');
    const cold = await sequentialRuns(client, SIZES.cold, 'cold');
    log(`no pool: burst of ${SIZES.burst}`);
    const burstCold = await launchedRuns(client, SIZES.burst, 0, 'burst-cold');
    await deleteWorkspaces(client, idsOf(burstCold.runs));
    const computesdk = { sequential: await computesdkSequential(client, 'cold', SIZES.sequentialCold) };
    return { cold, burstCold, computesdk };
  });

  const poolPart = await withBerth(POOL, async (client, logFile) => {
    const fillMs = await waitForFullPool(client);
    log(`pool of ${POOL}: full ${(fillMs / 1000).toFixed(1)} s after start; hits × ${SIZES.hits}`);
    await sequentialRuns(client, 2, 'warmup', { between: () => waitForFullPool(client) });
    // EMF lines are written within a second of their request (coalesced-metrics.ts): let the warm-up's out.
    const flushed = () => new Promise((r) => setTimeout(r, 1500));
    await flushed();
    const before = {
      acquire: (await emfValues(logFile, 'AcquireLatency')).length,
      bind: (await emfValues(logFile, 'PoolClaimLatency')).length,
    };
    const hits = await sequentialRuns(client, SIZES.hits, 'hit', { between: () => waitForFullPool(client) });
    await flushed();
    const hitsInside = {
      acquire: (await emfValues(logFile, 'AcquireLatency')).slice(before.acquire),
      bind: (await emfValues(logFile, 'PoolClaimLatency')).slice(before.bind),
    };

    await waitForFullPool(client);
    log(`pool of ${POOL}: burst of ${SIZES.burst}, then refill`);
    const burstStart = performance.now();
    const burstPool = await launchedRuns(client, SIZES.burst, 0, 'burst-pool');
    await waitForFullPool(client);
    const refillMs = performance.now() - burstStart;
    await deleteWorkspaces(client, idsOf(burstPool.runs));

    // Each mode starts with the pool full; the last one's refill is left to the process's end.
    const sequential = await computesdkSequential(client, 'pool', SIZES.sequentialPool);
    await waitForFullPool(client);
    const staggered = await computesdkLaunched(client, 'pool', 'staggered');
    await waitForFullPool(client);
    const burst = await computesdkLaunched(client, 'pool', 'burst');
    return { fillMs, hits, hitsInside, burstPool, refillMs, computesdk: { sequential, staggered, burst } };
  });

  return {
    cold: coldPart.cold,
    hits: poolPart.hits,
    hitsInside: poolPart.hitsInside,
    burstCold: coldPart.burstCold,
    burstPool: poolPart.burstPool,
    fillMs: poolPart.fillMs,
    refillMs: poolPart.refillMs,
    computesdk: { cold: coldPart.computesdk, pool: poolPart.computesdk },
  };
}

// ---- BENCHMARKS.md ----------------------------------------------------------------------------------------

const okOf = (runs: TtiRun[]) => runs.filter((r) => r.ok);
const median = (values: number[]) => summarize(values).median;
const verdict = (value: number, target: number) => (value <= target ? 'met' : '**missed**');

function failures(runs: TtiRun[]): string {
  const failed = runs.filter((r) => !r.ok);
  if (failed.length === 0) return '';
  const why = [...new Set(failed.map((r) => r.error?.replace(/ws_[a-z0-9]+/g, 'ws_…').slice(0, 120)))];
  return ` ${failed.length} failed: ${why.slice(0, 3).join('; ')}.`;
}

function singleRow(name: string, runs: TtiRun[]): string {
  const s: Summary = summarize(okOf(runs).map((r) => r.ms));
  return (
    `| ${name} | ${runs.length} | ${okOf(runs).length} | ${runs.filter((r) => r.fromPool).length} | ` +
    `${ms(s.median)} | ${ms(s.p95)} | ${ms(s.min)} | ${ms(s.max)} | ` +
    `${ms(median(okOf(runs).map((r) => r.createMs)))} | ${ms(median(okOf(runs).map((r) => r.execMs)))} |`
  );
}

function burstRow(name: string, b: Batch): string {
  const ok = okOf(b.runs);
  const s = summarize(ok.map((r) => r.ms));
  const done = ok.map((r) => r.doneAtMs);
  return (
    `| ${name} | ${b.runs.length} | ${ok.length} | ${b.runs.filter((r) => r.fromPool).length} | ` +
    `${ms(s.median)} | ${ms(s.p95)} | ${ms(Math.min(...done))} | ${ms(Math.max(...done))} | ` +
    `${Math.round((b.cpuBusy ?? NaN) * 100)} % (${(((b.cpuBusy ?? NaN) * cpus().length * b.wallMs) / 1000 / b.runs.length).toFixed(2)}) |`
  );
}

export function poolSection(r: PoolBenchResults): string {
  const hit = summarize(okOf(r.hits).map((x) => x.ms));
  const burstPool = summarize(okOf(r.burstPool.runs).map((x) => x.ms));
  const burstCold = summarize(okOf(r.burstCold.runs).map((x) => x.ms));
  const perSecond = (n: number, msTaken: number) => (n / (msTaken / 1000)).toFixed(1);
  return [
    '## Warm pool (local Docker)',
    '',
    `Milliseconds, from the client: \`POST /v1/workspaces\` (wait) for a new conversation, then \`POST …/exec\` of \`node -v\` done. Two Berth processes as \`npm start\` runs them: one without a pool, one with \`BERTH_POOL_TARGETS=default:${POOL}\` (members frozen with \`docker pause\` until claimed, but for one kept thawed ahead: \`pool.thawedAhead\`) and its sweep timer at ${REFILL_TICK_MS / 1000} s (\`BERTH_SWEEP_INTERVAL_MS\`; default 5 s), which also paces refills. Each workspace is deleted (untimed) before the next one-at-a-time create; pool hits start with the pool full (\`GET /v1/pool\`: warm = target, none starting), though each claim starts a replacement at once. "create" and "\`node -v\`" are the two calls' medians on their own. Reproduce this section and the next: \`node scripts/with-node22.mjs tsx test/bench/pool.bench.ts\`.`,
    '',
    '| create → `node -v` done | n | ok | from pool | median | p95 | min | max | create | `node -v` |',
    '|---|---|---|---|---|---|---|---|---|---|',
    singleRow('cold (no pool)', r.cold),
    singleRow(`pool hit (pool of ${POOL})`, r.hits),
    '',
    `Inside Berth (its EMF metrics for the same hits): the create request took a median ${ms(median(r.hitsInside.acquire))} ms (\`AcquireLatency\`, n=${r.hitsInside.acquire.length}), of which binding the claimed member (the rest of its thaw, egress admission, the ready write: \`PoolClaimLatency\`) ${ms(median(r.hitsInside.bind))} ms; the rest is the store's reads and writes around it: the conversation's binding; the tenant's count, the pool's listing and the conversation's saved files, read at once; the claim transaction (a frozen member's thaw alongside it).${failures(r.hits)}${failures(r.cold)}`,
    '',
    `| burst of ${SIZES.burst} at once | n | ok | from pool | median | p95 | first done | last done | host CPU busy |`,
    '|---|---|---|---|---|---|---|---|---|',
    burstRow('no pool (first come, first served: 4 starts at a time)', r.burstCold),
    burstRow(`pool of ${POOL}`, r.burstPool),
    '',
    `First and last done: from the burst's start. Host CPU busy: the share of all ${cpus().length} cores in use from the burst's start to its last done (/proc/stat), and in brackets the core-seconds that makes per create (its container, Berth, DynamoDB Local, Docker, and the pool's refill meanwhile).${failures(r.burstCold.runs)}${failures(r.burstPool.runs)}`,
    '',
    `Refill: the empty pool reached ${POOL} warm ${(r.fillMs / 1000).toFixed(1)} s after Berth started (${perSecond(POOL, r.fillMs)} members/s); after the pool burst claimed all ${POOL}, it was full again ${(r.refillMs / 1000).toFixed(1)} s after the burst began (${perSecond(POOL, r.refillMs)} members/s). A refill starts at most 4 members at once (\`pool.maxConcurrentStarts\`) and runs after claims and misses (once they pause for 250 ms, at the latest 2 s after the first: the claimed workspaces' first commands get the CPU first) and on the sweep timer.`,
    '',
    `Targets (issue 11): pool hit p50 ≤ 30 ms (${verdict(hit.median, 30)}: ${ms(hit.median)}), p95 ≤ 80 ms (${verdict(hit.p95, 80)}: ${ms(hit.p95)}); burst of ${SIZES.burst} with a pool of ${POOL} p50 ≤ 150 ms (${verdict(burstPool.median, 150)}: ${ms(burstPool.median)}); without a pool p50 ≤ 6 s (${verdict(burstCold.median, 6000)}: ${ms(burstCold.median)}).`,
    '',
  ].join('\n');
}

function scoreCell(b: Batch | undefined): string {
  if (!b) return 'not run';
  const ok = okOf(b.runs);
  const stats = computesdkStats(ok.map((r) => r.ms));
  const score = computesdkScore(stats, ok.length, b.runs.length);
  const okText = ok.length === b.runs.length ? '' : `, ${ok.length}/${b.runs.length} ok`;
  return `${score.toFixed(2)} (${ms(stats.median)} / ${ms(stats.p95)} / ${ms(stats.p99)}${okText})`;
}

const MODES = ['sequential', 'staggered', 'burst'] as const;

export function computesdkSection(r: PoolBenchResults): string {
  const published = Object.entries(COMPUTESDK_PUBLISHED.providers).map(
    ([name, byMode]) =>
      `| ${name} | ${MODES.map((m) => {
        const p = byMode[m];
        return `${p.score.toFixed(2)} (${p.median} / ${p.p95} / ${p.p99}${p.ok === '100/100' ? '' : `, ${p.ok} ok`})`;
      }).join(' | ')} |`,
  );
  const pool = r.computesdk.pool;
  const cold: Partial<ModeBatches> = r.computesdk.cold;
  const fromPool = (b: Batch) => b.runs.filter((x) => x.fromPool).length;
  const failed = MODES.map((m) => failures(cold[m]?.runs ?? []) + failures(pool[m].runs)).join('');
  return [
    '## Sandbox time to interactive: computesdk/benchmarks’ method',
    '',
    `[computesdk/benchmarks](https://github.com/computesdk/benchmarks) times sandbox providers daily from create to first command done, in three modes: **sequential** (${COMPUTESDK_MODES.sequential.iterations} one after another, each destroyed before the next), **staggered** (${COMPUTESDK_MODES.staggered.concurrency} launched ${COMPUTESDK_MODES.staggered.delayMs} ms apart), **burst** (${COMPUTESDK_MODES.burst.concurrency} at once). An iteration is create, a shell probe that the sandbox is new (a marker file, namespaces), then \`node -v\`. Its score (0–100): the lowest and highest 5 % of the successful iterations dropped; median, p95 and p99 each scored 100 × (1 − ms / 10 000), 0 from 10 s up; weighted 0.60 / 0.25 / 0.15; times the success rate (its src/util/stats.ts and src/sandbox/scoring.ts; test/bench/computesdk-method.ts restates them and reproduces all 39 published scores below from their raw iterations).`,
    '',
    `Here the same iterations go to Berth's API (there is no ComputeSDK provider for Berth), in the two Berth processes above, the pool full at the start of each mode. Differences: the sequential mode ran ${SIZES.sequentialCold} iterations without a pool and ${SIZES.sequentialPool} with it, not ${COMPUTESDK_MODES.sequential.iterations}; without a pool the staggered and burst modes were not run (see the burst of ${SIZES.burst} above). The probe is theirs as written (the marker written to /tmp and /var/tmp, both writable in a workspace).`,
    '',
    `Cells: score (median / p95 / p99 ms). Berth's rows: this machine, client and server on one host, no network. Published rows: cloud providers timed from GitHub Actions runners over the Internet, the run of ${COMPUTESDK_PUBLISHED.date}, from ${COMPUTESDK_PUBLISHED.source}. Not the same conditions: compare shapes, not decimals.`,
    '',
    '| provider | sequential | staggered | burst |',
    '|---|---|---|---|',
    `| **Berth, no pool** | ${MODES.map((m) => scoreCell(cold[m])).join(' | ')} |`,
    `| **Berth, pool of ${POOL}** | ${MODES.map((m) => scoreCell(pool[m])).join(' | ')} |`,
    ...published,
    '',
    `Berth with the pool: ${MODES.map((m) => `${m} ${fromPool(pool[m])}/${pool[m].runs.length}`).join(', ')} served from the pool (more than ${POOL} at once start cold). Burst: last done ${(pool.burst.wallMs / 1000).toFixed(1)} s after the first launch, host CPU ${Math.round((pool.burst.cpuBusy ?? NaN) * 100)} % busy meanwhile.${failed}`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runPoolBench().then(
    (r) => {
      console.log(poolSection(r));
      console.log(computesdkSection(r));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

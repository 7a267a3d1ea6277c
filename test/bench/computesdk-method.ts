/**
 * computesdk/benchmarks' sandbox method, restated so Berth's figures can stand next to its published scores.
 * Source: https://github.com/computesdk/benchmarks at commit 0a010e00a96d2a6fbbaa148648313258064f7bdc
 * (2026-05-05): src/util/stats.ts (statistics), src/sandbox/scoring.ts (score), src/sandbox/benchmark.ts,
 * staggered.ts, concurrent.ts and src/run.ts (modes and their sizes), results/<mode>/latest.json (scores).
 */

/** Its three modes as run daily: 100 iterations one after another, 100 launches 200 ms apart, 100 at once. */
export const COMPUTESDK_MODES = {
  sequential: { iterations: 100 },
  staggered: { concurrency: 100, delayMs: 200 },
  burst: { concurrency: 100 },
} as const;

export type ComputesdkMode = keyof typeof COMPUTESDK_MODES;

export interface TtiStats {
  median: number;
  p95: number;
  p99: number;
}

/**
 * Its statistics: the lowest and highest 5 % of the successful iterations trimmed, then the median (the mean
 * of the middle two for an even count) and the ceil-rank p95 and p99 of the rest.
 */
export function computesdkStats(values: number[]): TtiStats {
  if (values.length === 0) return { median: 0, p95: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const trim = Math.floor(sorted.length * 0.05);
  const kept = trim > 0 && sorted.length - 2 * trim > 0 ? sorted.slice(trim, sorted.length - trim) : sorted;
  const mid = Math.floor(kept.length / 2);
  const median = kept.length % 2 === 0 ? (kept[mid - 1]! + kept[mid]!) / 2 : kept[mid]!;
  const rank = (p: number) =>
    kept[Math.min(Math.max(0, Math.ceil((p / 100) * kept.length) - 1), kept.length - 1)]!;
  return { median, p95: rank(95), p99: rank(99) };
}

/**
 * Its composite score (0–100): each of median, p95, p99 scored against a 10 s ceiling as
 * 100 × (1 − ms / 10 000), floored at 0, weighted 0.60 / 0.25 / 0.15, times the success rate; rounded to
 * hundredths. No successful iteration scores 0.
 */
export function computesdkScore(stats: TtiStats, successes: number, attempts: number): number {
  if (attempts === 0 || successes === 0) return 0;
  const metric = (ms: number) => Math.max(0, 100 * (1 - ms / 10_000));
  const timing = 0.6 * metric(stats.median) + 0.25 * metric(stats.p95) + 0.15 * metric(stats.p99);
  return Math.round(timing * (successes / attempts) * 100) / 100;
}

/** One provider's published result in one mode (milliseconds; its statistics above). */
export interface PublishedResult {
  score: number;
  median: number;
  p95: number;
  p99: number;
  ok: string;
}

/**
 * The published results of its daily run of 2026-05-05 (results/{sequential,staggered,burst}_tti/latest.json at
 * the commit above; GitHub Actions on Namespace runners, 100 iterations / 100 sandboxes each, timed from the
 * runner over the Internet). Milliseconds rounded to whole ones; scores as published.
 */
export const COMPUTESDK_PUBLISHED: {
  date: string;
  source: string;
  providers: Record<string, Record<ComputesdkMode, PublishedResult>>;
} = {
  date: '2026-05-05',
  source:
    'https://github.com/computesdk/benchmarks/tree/0a010e00a96d2a6fbbaa148648313258064f7bdc/results (sequential_tti, staggered_tti, burst_tti: latest.json)',
  providers: {
    declaw: {
      sequential: { score: 99.18, median: 42, p95: 131, p99: 160, ok: '100/100' },
      staggered: { score: 99.55, median: 44, p95: 47, p99: 48, ok: '100/100' },
      burst: { score: 95.94, median: 351, p95: 487, p99: 493, ok: '100/100' },
    },
    daytona: {
      sequential: { score: 96.81, median: 186, p95: 492, p99: 560, ok: '100/100' },
      staggered: { score: 96.89, median: 210, p95: 446, p99: 487, ok: '100/100' },
      burst: { score: 95.16, median: 367, p95: 611, p99: 741, ok: '100/100' },
    },
    archil: {
      sequential: { score: 96.18, median: 311, p95: 483, p99: 499, ok: '100/100' },
      staggered: { score: 96.18, median: 332, p95: 444, p99: 479, ok: '100/100' },
      burst: { score: 93.44, median: 623, p95: 697, p99: 719, ok: '100/100' },
    },
    upstash: {
      sequential: { score: 96.02, median: 386, p95: 412, p99: 422, ok: '100/100' },
      staggered: { score: 96.25, median: 361, p95: 394, p99: 400, ok: '100/100' },
      burst: { score: 71.64, median: 2091, p95: 3918, p99: 4015, ok: '100/100' },
    },
    blaxel: {
      sequential: { score: 94.53, median: 525, p95: 568, p99: 597, ok: '100/100' },
      staggered: { score: 94.3, median: 539, p95: 606, p99: 638, ok: '100/100' },
      burst: { score: 83.1, median: 1610, p95: 1800, p99: 1829, ok: '100/100' },
    },
    e2b: {
      sequential: { score: 94.23, median: 491, p95: 685, p99: 740, ok: '100/100' },
      staggered: { score: 94.53, median: 454, p95: 675, p99: 708, ok: '100/100' },
      burst: { score: 91.08, median: 822, p95: 965, p99: 1048, ok: '100/100' },
    },
    vercel: {
      sequential: { score: 91.34, median: 671, p95: 1062, p99: 1315, ok: '100/100' },
      staggered: { score: 92.11, median: 641, p95: 974, p99: 1074, ok: '100/100' },
      burst: { score: 89.75, median: 832, p95: 1308, p99: 1323, ok: '100/100' },
    },
    hopx: {
      sequential: { score: 84.42, median: 1422, p95: 1746, p99: 1790, ok: '100/100' },
      staggered: { score: 79.7, median: 1475, p95: 2639, p99: 2700, ok: '99/100' },
      burst: { score: 0, median: 15101, p95: 15562, p99: 15665, ok: '99/100' },
    },
    runloop: {
      sequential: { score: 82.13, median: 1688, p95: 1931, p99: 1942, ok: '100/100' },
      staggered: { score: 80.42, median: 1859, p95: 2065, p99: 2174, ok: '100/100' },
      burst: { score: 20.03, median: 6662, p95: 11196, p99: 12483, ok: '100/100' },
    },
    modal: {
      sequential: { score: 80.15, median: 1723, p95: 2309, p99: 2494, ok: '100/100' },
      staggered: { score: 81.3, median: 1711, p95: 2027, p99: 2243, ok: '100/100' },
      burst: { score: 74.54, median: 2261, p95: 2943, p99: 3023, ok: '100/100' },
    },
    namespace: {
      sequential: { score: 79.93, median: 1649, p95: 1938, p99: 3020, ok: '99/100' },
      staggered: { score: 81.39, median: 1657, p95: 1992, p99: 2464, ok: '100/100' },
      burst: { score: 76.48, median: 2218, p95: 2532, p99: 2590, ok: '100/100' },
    },
    cloudflare: {
      sequential: { score: 75.03, median: 2056, p95: 2969, p99: 3476, ok: '100/100' },
      staggered: { score: 73.58, median: 2131, p95: 3224, p99: 3715, ok: '100/100' },
      burst: { score: 75.18, median: 2092, p95: 3035, p99: 3116, ok: '100/100' },
    },
    codesandbox: {
      sequential: { score: 73.77, median: 2486, p95: 2784, p99: 2903, ok: '100/100' },
      staggered: { score: 72.22, median: 2546, p95: 3030, p99: 3284, ok: '100/100' },
      burst: { score: 20.07, median: 6658, p95: 9995, p99: 10665, ok: '100/100' },
    },
  },
};

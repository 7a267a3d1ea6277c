/** Latency statistics the benchmarks print and write to BENCHMARKS.md. */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { n: s.length, median: at(0.5), p95: at(0.95), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Times `fn` `n` times after `warmup` untimed runs; milliseconds per run. */
export async function timeRuns(
  n: number,
  fn: (i: number) => Promise<unknown>,
  warmup = 3,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * Times several variants in `rounds` rounds that interleave them (each round: `runs / rounds` of each, in
 * turn), after `warmup` untimed runs of each (default 3), so background load on a shared machine hits them
 * all alike. Returns milliseconds per run, per variant, in the order given.
 */
export async function timeInterleaved(
  rounds: number,
  variants: { runs: number; fn: () => Promise<unknown>; warmup?: number }[],
): Promise<number[][]> {
  for (const v of variants) for (let i = 0; i < (v.warmup ?? 3); i++) await v.fn();
  const out = variants.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [k, v] of variants.entries()) {
      const perRound = Math.ceil(v.runs / rounds);
      for (let i = 0; i < perRound && out[k]!.length < v.runs; i++) {
        const t = performance.now();
        await v.fn();
        out[k]!.push(performance.now() - t);
      }
    }
  }
  return out;
}

export function row(name: string, s: Summary, extra = ''): string {
  return `| ${name} | ${s.n} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.min)} | ${ms(s.max)} |${extra ? ` ${extra} |` : ''}`;
}

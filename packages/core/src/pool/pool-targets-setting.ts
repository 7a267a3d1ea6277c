/** One template's pool bounds as a deployment gives them. */
export interface PoolBounds {
  min: number;
  max: number;
}

/**
 * `BERTH_POOL_TARGETS` (locally and as a deployment setting): `template:count` (a fixed size) or
 * `template:min-max` (adaptive within), comma-separated — `default:5`, `default:2-20,gpu:1`. Throws an Error
 * naming the entry at fault.
 */
export function parsePoolTargets(text: string): Record<string, PoolBounds> {
  const pools: Record<string, PoolBounds> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]{1,64}):(\d{1,4})(?:-(\d{1,4}))?$/.exec(entry);
    const min = Number(m?.[2]);
    const max = m?.[3] === undefined ? min : Number(m[3]);
    if (!m || max < min || max > 1000) {
      throw new Error(
        `BERTH_POOL_TARGETS: "${entry}" must be template:count or template:min-max (counts up to 1000, min ≤ max)`,
      );
    }
    pools[m[1]!] = { min, max };
  }
  return pools;
}

import type { PoolState } from '@berth/protocol';
import type { ServiceDeps } from '../services/deps.js';
import { readTemplatePool } from './pool-state.js';

/**
 * `GET /v1/pool`: every template, pooled or not, with its target, warm and starting members, and the creates
 * the pool served (claims) and could not (misses) over the demand window (`pool.demandWindowSeconds`).
 */
export async function poolReport(deps: ServiceDeps): Promise<PoolState> {
  const now = deps.clock.now();
  const templates = await Promise.all(
    Object.entries(deps.config.templates).map(async ([template, settings]) => {
      if (settings.pool.max === 0) {
        return { template, target: 0, warm: 0, provisioning: 0, claims: 0, misses: 0 };
      }
      const s = await readTemplatePool(deps, template, now);
      return {
        template,
        target: s.target,
        warm: s.warm,
        provisioning: s.provisioning,
        claims: s.claims,
        misses: s.misses,
      };
    }),
  );
  return { templates };
}

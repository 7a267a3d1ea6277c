import type { WorkspaceRecord } from '../model/workspace.js';
import type { ServiceDeps } from '../services/deps.js';
import { isWarm } from './pool-member.js';
import { poolTarget, type PoolTarget } from './pool-target.js';

/** Counted on when no member has been warm yet to measure (a local start takes well under a second). */
const DEFAULT_PROVISION_SECONDS = 30;

/** One template's pool as a refill or `GET /v1/pool` sees it. */
export interface TemplatePool extends PoolTarget {
  template: string;
  members: WorkspaceRecord[];
  warm: number;
  provisioning: number;
  /** Creates served by the pool, and cold, over the demand window. */
  claims: number;
  misses: number;
  provisionSeconds: number;
}

/** The templates that have a pool (max above 0). */
export const pooledTemplates = (deps: ServiceDeps) =>
  Object.entries(deps.config.templates)
    .filter(([, t]) => t.pool.max > 0)
    .map(([name]) => name);

export async function readTemplatePool(
  deps: ServiceDeps,
  template: string,
  now: number,
): Promise<TemplatePool> {
  const settings = deps.config.templates[template]!.pool;
  const [members, demand] = await Promise.all([
    deps.store.listPool(template, 1000),
    deps.store.poolDemand(template, now - deps.config.pool.demandWindowSeconds * 1000),
  ]);
  const provisionSeconds = medianProvisionSeconds(members) ?? DEFAULT_PROVISION_SECONDS;
  return {
    template,
    members,
    warm: members.filter(isWarm).length,
    provisioning: members.filter((m) => m.status === 'provisioning').length,
    claims: demand.reduce((n, m) => n + m.claims, 0),
    misses: demand.reduce((n, m) => n + m.misses, 0),
    provisionSeconds,
    ...poolTarget({
      ...settings,
      headroom: deps.config.pool.headroom,
      demand,
      provisionSeconds,
      refillIntervalSeconds: deps.config.pool.refillIntervalSeconds,
    }),
  };
}

function medianProvisionSeconds(members: WorkspaceRecord[]): number | undefined {
  const times = members
    .filter((m) => m.readyAt !== null)
    .map((m) => (m.readyAt! - m.createdAt) / 1000)
    .sort((a, b) => a - b);
  return times.length ? times[Math.floor(times.length / 2)] : undefined;
}

import { ApiError } from '../errors.js';
import { METRIC } from '../observability/metric-names.js';
import type { ServiceDeps } from './deps.js';

/** A quota frees when one of the tenant's workspaces ends: a delete is seconds, an idle expiry later. */
const QUOTA_RETRY_AFTER_SECONDS = 10;

/**
 * Admission of a new workspace for a tenant (API.md "Admission"): a tenant at its quota of live workspaces
 * gets `429 quota_exceeded` with Retry-After, before anything is written. The count is a read, so concurrent
 * creates at the edge may pass it together: the quota bounds a tenant, it is not a ledger.
 */
export async function admitTenant(deps: ServiceDeps, tenantId: string, now: number): Promise<void> {
  const quota = deps.config.admission.tenantQuota;
  const live = await deps.store.countLive(tenantId, now, quota);
  if (live < quota) return;
  deps.metrics.count(METRIC.AdmissionRefused);
  deps.log.warn('create refused: tenant at its quota', { tenantId, live, quota });
  throw new ApiError(
    'quota_exceeded',
    `tenant holds ${live} live workspaces, its quota; delete one or retry later`,
    { retryAfterSeconds: QUOTA_RETRY_AFTER_SECONDS },
  );
}

/**
 * Admission of a cold start: when the queue of starts ahead of it would keep it waiting past
 * `admission.maxStartWaitMs`, `503 capacity` with Retry-After (the wait ahead), before anything is written.
 */
export async function admitColdStart(deps: ServiceDeps, tenantId: string): Promise<void> {
  if (!deps.startGate) return;
  const backlogMs = await deps.startGate.backlogMs();
  if (backlogMs <= deps.config.admission.maxStartWaitMs) return;
  deps.metrics.count(METRIC.AdmissionRefused);
  deps.log.warn('create refused: cold starts at capacity', { tenantId, backlogMs });
  throw new ApiError('capacity', 'every container start is taken for now; retry after Retry-After', {
    retryAfterSeconds: Math.min(60, Math.max(1, Math.ceil(backlogMs / 1000))),
  });
}

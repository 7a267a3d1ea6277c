import type { WorkspaceRecord } from '../model/workspace.js';
import { METRIC } from '../observability/metric-names.js';
import type { ServiceDeps } from '../services/deps.js';
import { conditionalUpdate } from '../services/conditional-update.js';
import { stopWorkspace } from '../services/release.js';
import { isPoolMember, isWarm, newPoolMember, templateVersion } from './pool-member.js';
import { readTemplatePool, pooledTemplates } from './pool-state.js';

export interface RefillReport {
  templates: {
    template: string;
    target: number;
    warm: number;
    provisioning: number;
    started: number;
    drained: number;
  }[];
}

/**
 * Brings every pool to its target: members built from older template settings (image included) or past their
 * maximum age are drained, members beyond the target too (warm ones, oldest first), and new members are started
 * — at most `pool.maxConcurrentStarts` starting at once over all templates, so a refill never crowds out the
 * tenants' cold starts. Run after claims and misses (PoolRefiller) and on schedule; a run that overlaps another
 * can only start fewer, since it counts the other's starts as provisioning.
 */
export async function refillPool(deps: ServiceDeps): Promise<RefillReport> {
  const now = deps.clock.now();
  const states = await Promise.all(pooledTemplates(deps).map((t) => readTemplatePool(deps, t, now)));
  let starting = states.reduce((n, s) => n + s.provisioning, 0);
  const report: RefillReport = { templates: [] };
  for (const state of states) {
    const version = templateVersion(deps.config.templates[state.template]!);
    const maxAgeMs = deps.config.pool.maxAgeSeconds * 1000;
    const stale = (m: WorkspaceRecord) => m.templateVersion !== version || now - m.createdAt >= maxAgeMs;
    const current = state.members.filter((m) => !stale(m));
    const excess = current
      .filter(isWarm)
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, Math.max(0, current.length - state.target));
    const drained = [...state.members.filter(stale), ...excess];
    await Promise.all(drained.map((m) => drain(deps, m)));

    const staying = current.filter((m) => !excess.includes(m));
    const kept = staying.length;
    const started = Math.max(
      0,
      Math.min(state.target - kept, deps.config.pool.maxConcurrentStarts - starting),
    );
    for (let i = 0; i < started; i++) await startMember(deps, state.template);
    starting += started;
    await thawAhead(deps, staying);

    // What stays warm: the members drained now (stale or beyond the target) are not counted.
    deps.metrics.count(METRIC.PoolWarm, staying.filter(isWarm).length);
    deps.metrics.count(METRIC.PoolTarget, state.target);
    deps.metrics.count(METRIC.PoolDemandPeakRate, state.peakRatePerSecond);
    if (started) deps.metrics.count(METRIC.PoolRefillStarts, started);
    if (drained.length) deps.metrics.count(METRIC.PoolDrained, drained.length);
    const { template, target, warm, provisioning } = state;
    const entry = { template, target, warm, provisioning, started, drained: drained.length };
    if (started || drained.length) deps.log.info('pool refilled', entry);
    report.templates.push(entry);
  }
  return report;
}

/**
 * Keeps `pool.thawedAhead` of a template's warm members thawed where members wait frozen (the newest frozen
 * ones first: they have the longest to live). Each is a conditional change of the fresh record, from frozen
 * to ready: a claim that won the member meanwhile is left alone (and its own thaw is then a no-op).
 */
async function thawAhead(deps: ServiceDeps, members: WorkspaceRecord[]) {
  if (!deps.config.pool.freezeWarm || !deps.runtime.freezes) return;
  const thawed = members.filter((m) => isWarm(m) && m.status === 'ready').length;
  const frozen = members
    .filter((m) => isWarm(m) && m.status === 'paused' && m.taskRef)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, Math.max(0, deps.config.pool.thawedAhead - thawed));
  for (const member of frozen) {
    await deps.runtime.resume(member.taskRef!);
    await conditionalUpdate(deps, member.id, (ws) =>
      isWarm(ws) && ws.status === 'paused' && ws.taskRef === member.taskRef ? { status: 'ready' } : null,
    );
  }
}

/** Ends a member that is still unclaimed (checked on the fresh record: a claim may have won meanwhile). */
async function drain(deps: ServiceDeps, member: WorkspaceRecord) {
  await stopWorkspace(deps, member.id, 'drained', { onlyIf: isPoolMember });
}

async function startMember(deps: ServiceDeps, template: string) {
  const member = newPoolMember(deps.config, deps.runtime.kind, template, deps.clock.now());
  await deps.store.createPoolMember(member);
  await deps.provisioner.start({ workspaceId: member.id, background: true });
}

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, isPoolMember, type ServiceMetrics } from '@berth/core';
import { StaticTenantResolver, createPoolRefillHandler } from '@berth/functions';
import { describe, expect, it, vi } from 'vitest';
import { makeDeps } from '../../core/test/support/make-deps.js';
import { lambdaContext } from './support/api-event.js';
import { quietObservability } from './support/app.js';

/** What EventBridge's schedule sends the function once a minute. */
const scheduled = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-15T16:12:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/berth-test-PoolRefillSchedule'],
  detail: {},
};

describe('pool refill handler', () => {
  it('brings the pool to its target, logs what it did, publishes the pool metrics, and hands the handler’s metrics to the ports', async () => {
    const deps = Object.assign(
      makeDeps({ config: { templates: { default: { pool: { min: 2, max: 2 } } } } }),
      { tenants: StaticTenantResolver.parse('tenantA:keyAAAAAAAA') },
    );
    deps.provisioner.mode = 'manual';
    const obs = quietObservability();
    const added = vi.spyOn(obs.metrics, 'addMetric');
    const flushed = vi.spyOn(obs.metrics, 'publishStoredMetrics');
    const logged = vi.spyOn(obs.logger, 'info');
    let portMetrics: ServiceMetrics | undefined;
    const handler = createPoolRefillHandler((h) => {
      portMetrics = h?.metrics;
      return deps;
    }, obs);

    const report = await handler(scheduled, lambdaContext('berth-pool-refill'));

    expect(report.templates).toEqual([
      { template: 'default', target: 2, warm: 0, provisioning: 0, started: 2, drained: 0 },
    ]);
    const members = (await deps.store.listPool('default', 10)).filter(isPoolMember);
    expect(members).toHaveLength(2);
    expect(deps.provisioner.started.map((s) => s.workspaceId).sort()).toEqual(
      members.map((m) => m.id).sort(),
    );
    expect(logged).toHaveBeenCalledWith('pool refill done', { templates: report.templates });
    expect(added).toHaveBeenCalledWith(METRIC.PoolRefillStarts, MetricUnit.Count, 2);
    expect(added).toHaveBeenCalledWith(METRIC.PoolTarget, MetricUnit.Count, 2);
    expect(flushed).toHaveBeenCalled();
    // A port that counts (the RunTask bucket) counts on this function's metrics.
    portMetrics!.count(METRIC.RunTaskThrottled);
    expect(added).toHaveBeenCalledWith(METRIC.RunTaskThrottled, MetricUnit.Count, 1);
  });
});

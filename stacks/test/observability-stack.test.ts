import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRIC_NAMESPACE } from '../../packages/core/src/observability/metric-names.js';
import { ALARM_THRESHOLDS, Observability } from '../Observability.js';
import { synth } from './synth.js';

describe('Observability stack', () => {
  let template: Template;
  let body: string;
  beforeAll(async () => {
    template = await synth(Observability);
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as {
      Properties: { DashboardBody: unknown };
    };
    // The body is a Fn::Join of strings and tokens; its literal parts hold every metric reference.
    body = JSON.stringify(dashboard.Properties.DashboardBody);
  }, 120_000);

  it('has one dashboard whose widgets show every metric the code emits', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    for (const name of Object.values(METRIC)) {
      expect(body, `metric ${name} has no widget`).toContain(`\\"${name}\\"`);
    }
    expect(body).toContain(METRIC_NAMESPACE);
  });

  it('alarms on slow starts, low provisioning success, a slow proxy and API server errors', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.AcquireLatency,
      ExtendedStatistic: 'p95',
      Threshold: ALARM_THRESHOLDS.acquireP95Ms,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.ProxyLatency,
      Threshold: ALARM_THRESHOLDS.proxyP95Ms,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: ALARM_THRESHOLDS.provisionSuccessRate,
      ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.ApiServerErrors,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

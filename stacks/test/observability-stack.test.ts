import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRIC_NAMESPACE, SERVICE } from '../../packages/core/src/observability/metric-names.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Events } from '../Events.js';
import { Network } from '../Network.js';
import { ALARM_THRESHOLDS, Observability } from '../Observability.js';
import { EGRESS_GATEWAY_SERVICE, GATEWAY_LOG_METRICS } from '../EgressGateway.js';
import { Provisioning } from '../Provisioning.js';
import { Stopping } from '../Stopping.js';
import { Workspaces } from '../Workspaces.js';
import { nag } from './nag.js';
import { synth, synthStacks, withBerthEnv } from './synth.js';

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
    // The pool's gauges come from the refill function, under its own service.
    expect(body).toContain(`\\"${METRIC.PoolWarm}\\",\\"service\\",\\"${SERVICE.poolRefill}\\"`);
    expect(body).toContain(`\\"${METRIC.RunTaskThrottled}\\",\\"service\\",\\"berth-provision\\"`);
    expect(body).toContain(`\\"service\\",\\"${EGRESS_GATEWAY_SERVICE}\\"`);
    expect(body).not.toContain('proxy-sidecar');
  });

  it('alarms on slow starts, low provisioning success, a slow gateway, missing gateway policies and API server errors', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.AcquireLatency,
      ExtendedStatistic: 'p95',
      Threshold: ALARM_THRESHOLDS.acquireP95Ms,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // On AWS the proxy's metrics are the egress gateway's (the relays in workspace tasks emit none).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.ProxyLatency,
      Dimensions: [{ Name: 'service', Value: EGRESS_GATEWAY_SERVICE }],
      Threshold: ALARM_THRESHOLDS.proxyP95Ms,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: ALARM_THRESHOLDS.gatewayPolicyUnavailableRate,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              Namespace: 'Berth',
              MetricName: GATEWAY_LOG_METRICS.policyUnavailable,
            }),
          }),
        }),
      ]),
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

// Events' refill function starts provisioning executions: the provisioning stack comes first.
const APP = [Data, Network, EgressGateway, Workspaces, Provisioning, Stopping, Events, Observability];

describe('Observability alarms on the app', () => {
  let template: Template;
  let events: Template;
  let stopping: Template;
  let provisioning: Template;
  let topic: string;
  beforeAll(async () => {
    const templates = await synthStacks(APP);
    template = templates.get(Observability)!;
    events = templates.get(Events)!;
    stopping = templates.get(Stopping)!;
    provisioning = templates.get(Provisioning)!;
    topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
  }, 120_000);

  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: Record<string, unknown> & { AlarmActions: unknown[]; Dimensions?: { Value: unknown }[] };
    }[];

  it('sends every alarm to one encrypted, TLS-only topic', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
    expect(alarms().length).toBeGreaterThan(4);
    for (const alarm of alarms()) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it("alarms on each Berth function's errors and throttles", () => {
    const functions = [events, stopping, provisioning]
      .flatMap((t) => Object.entries(t.findResources('AWS::Lambda::Function')))
      .filter(([, f]) =>
        String((f as { Properties: { Description?: string } }).Properties.Description).startsWith('Berth '),
      )
      .map(([id]) => id);
    // Events: task-state, sweep, pool refill; Stopping: the stop worker; Provisioning: its seven steps.
    expect(functions).toHaveLength(11);
    for (const metric of ['Errors', 'Throttles']) {
      const watched = alarms()
        .filter((a) => a.Properties.MetricName === metric && a.Properties.Namespace === 'AWS/Lambda')
        .map((a) => JSON.stringify(a.Properties.Dimensions));
      expect(watched).toHaveLength(functions.length);
      for (const fn of functions) expect(watched.some((d) => d.includes(fn))).toBe(true);
    }
  });

  it('alarms on failed and timed-out executions of the state machine', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('alarms on the first message in each dead-letter queue (events, stops)', () => {
    const depth = alarms().filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(depth).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }) }],
    });
  });

  it('alarms when fewer gateway tasks than the minimum are healthy for three minutes', () => {
    const low = alarms().filter((a) => a.Properties.MetricName === 'HealthyHostCount');
    expect(low).toHaveLength(1);
    expect(low[0]!.Properties).toMatchObject({
      Namespace: 'AWS/NetworkELB',
      Statistic: 'Minimum',
      Threshold: 2,
      EvaluationPeriods: 3,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(JSON.stringify(low[0]!.Properties.Dimensions)).toMatch(/EgressGateway:.*GatewayLoadBalancer/);
  });

  it("shows the gateway's healthy tasks and its blocked requests by reason from its audit log", () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as {
      Properties: { DashboardBody: unknown };
    };
    const appBody = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(appBody).toContain('HealthyHostCount');
    expect(appBody).toContain('UnHealthyHostCount');
    // The query reads the gateway's log group (imported from its stack).
    expect(appBody).toMatch(
      /SOURCE '.{0,10}Fn::ImportValue[^}]*EgressGateway[^}]*GatewayLogs[^}]*\}.{0,10}' \| filter message = .{0,8}egress.{0,8} and decision = .{0,8}blocked/,
    );
    expect(appBody).toContain('stats count(*) as requests by reason');
  });

  it('has no pool alarm without BERTH_POOL_TARGETS', () => {
    expect(alarms().filter((a) => a.Properties.MetricName === METRIC.PoolWarm)).toEqual([]);
  });

  it('with pools, alarms when no refill found a warm member for three one-minute periods running', async () => {
    const pooled = (await withBerthEnv({ BERTH_POOL_TARGETS: 'default:2-20' }, () => synthStacks(APP))).get(
      Observability,
    )!;
    pooled.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Berth',
      MetricName: METRIC.PoolWarm,
      Dimensions: [{ Name: 'service', Value: SERVICE.poolRefill }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      EvaluationPeriods: ALARM_THRESHOLDS.poolEmptyMinutes,
      DatapointsToAlarm: ALARM_THRESHOLDS.poolEmptyMinutes,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
    expect(ALARM_THRESHOLDS.poolEmptyMinutes).toBe(3);
  }, 120_000);

  it('emails the alarms to BERTH_ALARM_EMAIL when it is set', async () => {
    process.env.BERTH_ALARM_EMAIL = 'oncall@example.com';
    try {
      (await synthStacks(APP)).get(Observability)!.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: { Ref: topic },
      });
    } finally {
      delete process.env.BERTH_ALARM_EMAIL;
    }
  });

  it('passes cdk-nag AwsSolutions with a reason on every suppression', async () => {
    const report = await nag(APP);
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
    for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(20);
  });
});

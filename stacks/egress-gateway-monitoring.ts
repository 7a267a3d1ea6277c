import { Duration, type Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRIC,
  METRIC_NAMESPACE,
  type MetricName,
} from '../packages/core/src/observability/metric-names.js';
import {
  EGRESS_GATEWAY_SERVICE,
  GATEWAY_LOG_METRICS,
  type EgressGatewayMonitoring,
} from './EgressGateway.js';

/** One of the gateway's EMF metrics (the proxy's names, its own `service` dimension). */
export const gatewayMetric = (name: MetricName, statistic = 'Sum', period = Duration.minutes(1)) =>
  new cw.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: EGRESS_GATEWAY_SERVICE },
    statistic,
    period,
  });

/**
 * The share of the gateway's requests refused 503 `policy_unavailable` (the workspace's policy could not be
 * read) over five minutes: DynamoDB unreachable from the gateway, or throttled.
 */
export function policyUnavailableRate(): cw.MathExpression {
  const period = Duration.minutes(5);
  return new cw.MathExpression({
    expression: 'IF(requests > 0, unavailable / requests, 0)',
    usingMetrics: {
      requests: gatewayMetric(METRIC.ProxyRequests, 'Sum', period),
      unavailable: new cw.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: GATEWAY_LOG_METRICS.policyUnavailable,
        statistic: 'Sum',
        period,
      }),
    },
    period,
    label: 'share of requests refused for want of a policy',
  });
}

/**
 * The gateway's healthy tasks as its load balancer sees them: the lowest count in each minute. With
 * cross-zone load balancing (EgressGateway turns it on) every load-balancer node counts every task.
 */
const healthyTasks = (gateway: EgressGatewayMonitoring) =>
  gateway.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period: Duration.minutes(1) });

/** Widgets on what only the deployed gateway has: its load balancer's targets and its audit log. */
export function gatewayWidgets(gateway: EgressGatewayMonitoring): cw.IWidget[] {
  return [
    new cw.GraphWidget({
      title: 'Egress gateway: healthy and unhealthy tasks (load balancer)',
      left: [
        healthyTasks(gateway),
        gateway.targetGroup.metrics.unHealthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1) }),
      ],
      leftAnnotations: [{ value: gateway.minTasks, label: 'minimum' }],
      leftYAxis: { min: 0 },
      width: 8,
      height: 6,
    }),
    new cw.LogQueryWidget({
      title: 'Egress gateway: blocked requests by reason',
      logGroupNames: [gateway.logGroup.logGroupName],
      queryLines: [
        'filter message = "egress" and decision = "blocked"',
        'stats count(*) as requests by reason',
        'sort requests desc',
      ],
      view: cw.LogQueryVisualizationType.TABLE,
      width: 8,
      height: 6,
    }),
  ];
}

/** Fewer healthy gateway tasks than the minimum for three minutes: workspaces are losing their way out. */
export function gatewayTasksAlarm(stack: Stack, id: string, gateway: EgressGatewayMonitoring): cw.Alarm {
  return new cw.Alarm(stack, id, {
    alarmDescription: `Fewer than ${gateway.minTasks} healthy egress gateway tasks for 3 minutes`,
    metric: healthyTasks(gateway),
    threshold: gateway.minTasks,
    evaluationPeriods: 3,
    comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
    // The load balancer reports every minute: silence means it has nothing healthy to count.
    treatMissingData: cw.TreatMissingData.BREACHING,
  });
}

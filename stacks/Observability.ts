import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import type { StackContext } from 'sst/constructs';
import { egressGatewayOf } from './EgressGateway.js';
import {
  gatewayMetric,
  gatewayTasksAlarm,
  gatewayWidgets,
  policyUnavailableRate,
} from './egress-gateway-monitoring.js';
import { isBerthFunction } from './lambda-function.js';
import { suppressSstInternals } from './nag-suppressions.js';
import { berthSettings } from './settings.js';
import {
  METRIC,
  METRIC_NAMESPACE,
  SERVICE,
  type MetricName,
} from '../packages/core/src/observability/metric-names.js';

type Service = (typeof SERVICE)[keyof typeof SERVICE];

/** One of Berth's EMF metrics, as emitted by one service (Powertools adds the `service` dimension). */
const metric = (name: MetricName, service: Service, statistic = 'Sum', period = Duration.minutes(1)) =>
  new cw.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { service },
    statistic,
    period,
  });

/** Alarm thresholds (seed 001's operations plan): what a person is woken for. */
export const ALARM_THRESHOLDS = {
  /** Workspace start (acquire → ready) p95 above this, three minutes running. */
  acquireP95Ms: 10_000,
  /** Provisioning success rate below this, over five minutes. */
  provisionSuccessRate: 0.95,
  /** Egress gateway latency p95 above this. */
  proxyP95Ms: 100,
  /** Share of gateway requests refused 503 `policy_unavailable` above this, over five minutes. */
  gatewayPolicyUnavailableRate: 0.05,
  /** Any 5xx the API answered: 500 means a bug. */
  apiServerErrors: 1,
  /** Refills that found no warm member, this many minutes running (only with BERTH_POOL_TARGETS). */
  poolEmptyMinutes: 3,
} as const;

/**
 * The CloudWatch dashboard (one widget per concern: starts, failures, work, agent runs, GC, API, egress) and
 * the alarms on it; the egress gateway's load balancer and audit log, when the app has the gateway. Every metric name comes from the catalog the code emits with, so a widget cannot go
 * silently empty.
 */
export function Observability({ stack, app }: StackContext) {
  suppressSstInternals(stack);
  const created = metric(METRIC.WorkspaceCreated, SERVICE.api);
  const provisionFailed = metric(METRIC.ProvisionFailed, SERVICE.provision);
  const successRate = new cw.MathExpression({
    expression: 'IF(created > 0, 1 - failed / created, 1)',
    usingMetrics: { created, failed: provisionFailed },
    period: Duration.minutes(5),
    label: 'provisioning success rate',
  });
  const acquireP95 = metric(METRIC.AcquireLatency, SERVICE.api, 'p95');
  // On AWS the proxy's metrics come from the egress gateway (the workspace tasks' relays emit none).
  const proxyP95 = gatewayMetric(METRIC.ProxyLatency, 'p95');
  const policyUnavailable = policyUnavailableRate();
  const serverErrors = metric(METRIC.ApiServerErrors, SERVICE.api);
  // One gauge per template per refill: the most any template had warm at a refill of the minute.
  const poolWarmMax = metric(METRIC.PoolWarm, SERVICE.poolRefill, 'Maximum');

  const dashboard = new cw.Dashboard(stack, 'Dashboard', {
    dashboardName: `${stack.stackName}-berth`,
    defaultInterval: Duration.hours(3),
  });
  const graph = (title: string, left: cw.IMetric[], extra: Partial<cw.GraphWidgetProps> = {}) =>
    new cw.GraphWidget({ title, left, width: 8, height: 6, ...extra });
  dashboard.addWidgets(
    graph(
      'Workspace start latency (ms)',
      [
        metric(METRIC.AcquireLatency, SERVICE.api, 'p50'),
        acquireP95,
        metric(METRIC.ProvisionLatency, SERVICE.provision, 'p95'),
      ],
      { leftAnnotations: [{ value: ALARM_THRESHOLDS.acquireP95Ms, label: 'alarm' }] },
    ),
    graph('Workspaces: created, stopped, failed', [
      created,
      // Stops end in the stop worker (deletes and expiry); the API ends only what never got a task.
      metric(METRIC.WorkspaceStopped, SERVICE.stop),
      metric(METRIC.WorkspaceStopped, SERVICE.api),
      metric(METRIC.WorkspaceFailed, SERVICE.taskState),
      provisionFailed,
    ]),
    graph('Provisioning success rate', [successRate], {
      leftYAxis: { min: 0, max: 1 },
      leftAnnotations: [{ value: ALARM_THRESHOLDS.provisionSuccessRate, label: 'alarm' }],
    }),
  );
  dashboard.addWidgets(
    graph('Containers lost: OOM, crashed', [
      metric(METRIC.TaskOomKilled, SERVICE.taskState),
      metric(METRIC.TaskCrashed, SERVICE.taskState),
    ]),
    graph('Command and file sync latency (ms)', [
      metric(METRIC.CommandLatency, SERVICE.api, 'p50'),
      metric(METRIC.CommandLatency, SERVICE.api, 'p95'),
      // Saves at stop (the stop worker) and during agent runs (the API).
      metric(METRIC.FileSyncLatency, SERVICE.stop, 'p95'),
      metric(METRIC.FileSyncFailed, SERVICE.stop),
      metric(METRIC.FileSyncLatency, SERVICE.api, 'p95'),
      metric(METRIC.FileSyncFailed, SERVICE.api),
    ]),
    graph('Snapshots: bytes saved, incomplete restores', [
      metric(METRIC.SnapshotBytes, SERVICE.stop),
      metric(METRIC.SnapshotBytes, SERVICE.api),
      metric(METRIC.RestoreIncomplete, SERVICE.provision),
    ]),
    graph('Sweep: expired, orphans, errors', [
      metric(METRIC.SweepExpired, SERVICE.sweep),
      metric(METRIC.SweepOrphans, SERVICE.sweep),
      metric(METRIC.SweepErrors, SERVICE.sweep),
    ]),
    graph('Dependency calls past their deadline or unreachable (store, blobs, runtime)', [
      metric(METRIC.DependencyUnavailable, SERVICE.api),
      metric(METRIC.DependencyUnavailable, SERVICE.sweep),
      metric(METRIC.DependencyUnavailable, SERVICE.stop),
    ]),
  );
  dashboard.addWidgets(
    graph('API requests and errors', [
      metric(METRIC.ApiRequests, SERVICE.api),
      metric(METRIC.ApiClientErrors, SERVICE.api),
      serverErrors,
    ]),
    graph('API latency (ms)', [
      metric(METRIC.ApiLatency, SERVICE.api, 'p50'),
      metric(METRIC.ApiLatency, SERVICE.api, 'p95'),
    ]),
    graph(
      'Egress gateway: requests, blocked, upstream errors, p50/p95 ms',
      [
        gatewayMetric(METRIC.ProxyRequests),
        gatewayMetric(METRIC.ProxyBlocked),
        gatewayMetric(METRIC.ProxyUpstreamErrors),
      ],
      {
        right: [gatewayMetric(METRIC.ProxyLatency, 'p50'), proxyP95],
        rightAnnotations: [{ value: ALARM_THRESHOLDS.proxyP95Ms, label: 'alarm' }],
      },
    ),
  );

  dashboard.addWidgets(
    graph('Event handlers: provisioning steps, task-state events', [
      metric(METRIC.ProvisionStepRuns, SERVICE.provision),
      metric(METRIC.TaskStateEvents, SERVICE.taskState),
    ]),
    graph(
      'Agent runs: runs, file syncs during runs, p50/p95 ms',
      [metric(METRIC.AgentRuns, SERVICE.api), metric(METRIC.AgentRunFileSyncs, SERVICE.api)],
      {
        right: [
          metric(METRIC.AgentRunLatency, SERVICE.api, 'p50'),
          metric(METRIC.AgentRunLatency, SERVICE.api, 'p95'),
        ],
      },
    ),
    graph(
      'Large files through presigned URLs: bytes, p95 ms',
      [metric(METRIC.FileTransferBytes, SERVICE.api)],
      { right: [metric(METRIC.FileTransferLatency, SERVICE.api, 'p95')] },
    ),
  );

  dashboard.addWidgets(
    graph(
      'Warm pool: warm, target; demand peak (creates/s)',
      [
        metric(METRIC.PoolWarm, SERVICE.poolRefill, 'Average'),
        poolWarmMax,
        metric(METRIC.PoolTarget, SERVICE.poolRefill, 'Average'),
      ],
      { right: [metric(METRIC.PoolDemandPeakRate, SERVICE.poolRefill, 'Maximum')] },
    ),
    graph(
      'Warm pool: claims, misses, refill starts, drained; claim p50/p95 ms',
      [
        metric(METRIC.PoolClaims, SERVICE.api),
        metric(METRIC.PoolMisses, SERVICE.api),
        metric(METRIC.PoolRefillStarts, SERVICE.poolRefill),
        metric(METRIC.PoolDrained, SERVICE.poolRefill),
      ],
      {
        right: [
          metric(METRIC.PoolClaimLatency, SERVICE.api, 'p50'),
          metric(METRIC.PoolClaimLatency, SERVICE.api, 'p95'),
        ],
      },
    ),
    graph('Admission: creates refused (429 quota, 503 capacity), starts throttled by the RunTask bucket', [
      metric(METRIC.AdmissionRefused, SERVICE.api),
      metric(METRIC.RunTaskThrottled, SERVICE.provision),
    ]),
  );

  const gateways = stack.node.root.node.findAll().flatMap((c) => egressGatewayOf(c) ?? []);
  dashboard.addWidgets(
    graph('Egress gateway: requests refused for want of a policy (share)', [policyUnavailable], {
      leftYAxis: { min: 0, max: 1 },
      leftAnnotations: [{ value: ALARM_THRESHOLDS.gatewayPolicyUnavailableRate, label: 'alarm' }],
    }),
    ...gateways.flatMap(gatewayWidgets),
  );

  const alarms = {
    slowStarts: new cw.Alarm(stack, 'SlowWorkspaceStarts', {
      alarmDescription: 'Workspace start p95 above 10 s: warm pool too small, or RunTask/ENI slow',
      metric: acquireP95,
      threshold: ALARM_THRESHOLDS.acquireP95Ms,
      evaluationPeriods: 3,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    }),
    provisionFailures: new cw.Alarm(stack, 'ProvisioningSuccessLow', {
      alarmDescription: 'Fewer than 95% of workspace starts succeed',
      metric: successRate,
      threshold: ALARM_THRESHOLDS.provisionSuccessRate,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    }),
    slowProxy: new cw.Alarm(stack, 'SlowEgressProxy', {
      alarmDescription: 'Egress gateway p95 above 100 ms',
      metric: proxyP95,
      threshold: ALARM_THRESHOLDS.proxyP95Ms,
      evaluationPeriods: 3,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    }),
    gatewayPolicyUnavailable: new cw.Alarm(stack, 'EgressPolicyUnavailable', {
      alarmDescription:
        "More than 5% of the egress gateway's requests refused 503 policy_unavailable: it cannot read the table",
      metric: policyUnavailable,
      threshold: ALARM_THRESHOLDS.gatewayPolicyUnavailableRate,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    }),
    serverErrors: new cw.Alarm(stack, 'ApiServerErrors', {
      alarmDescription: 'The API answered 5xx: a bug (500) or no capacity (503)',
      metric: serverErrors,
      threshold: ALARM_THRESHOLDS.apiServerErrors,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    }),
  };
  // Only where pools are set: without them no refill runs and PoolWarm has no data.
  const poolEmpty =
    Object.keys(berthSettings().pools).length > 0
      ? new cw.Alarm(stack, 'WarmPoolEmpty', {
          alarmDescription: `No warm member at any refill for ${ALARM_THRESHOLDS.poolEmptyMinutes} minutes running: every create starts cold (pool too small, or members fail to start)`,
          metric: poolWarmMax,
          threshold: 0,
          evaluationPeriods: ALARM_THRESHOLDS.poolEmptyMinutes,
          datapointsToAlarm: ALARM_THRESHOLDS.poolEmptyMinutes,
          comparisonOperator: cw.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
          // No refill ran: the refill function's own error alarm says why.
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        })
      : undefined;
  const topic = alarmTopic(stack);
  const watched = [
    ...watchedResourceAlarms(stack, app.logicalPrefixedName('')),
    ...gateways.map((gateway, i) => gatewayTasksAlarm(stack, `EgressGatewayTasksLow${i || ''}`, gateway)),
  ];
  for (const alarm of [...Object.values(alarms), ...(poolEmpty ? [poolEmpty] : []), ...watched])
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
  stack.addOutputs({ Dashboard: dashboard.dashboardName, AlarmTopic: topic.topicArn });
  return { dashboard, alarms, poolEmpty, topic };
}

/**
 * Where every alarm goes: an SNS topic, encrypted with a key of its own (CloudWatch cannot publish to a topic
 * under the AWS managed SNS key), TLS only; emailed to BERTH_ALARM_EMAIL when that is set.
 */
function alarmTopic(stack: Stack): sns.Topic {
  const key = new kms.Key(stack, 'AlarmTopicKey', {
    description: 'Berth alarm topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  key.grant(cloudwatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
  const topic = new sns.Topic(stack, 'Alarms', { masterKey: key, enforceSSL: true });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarms',
      principals: [cloudwatch],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  const email = berthSettings().alarmEmail;
  if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

/**
 * A dead-letter queue (encrypted, TLS only, kept 14 days), marked for the depth alarm below: what lands in it
 * could not be handled after its retries. `of` says whose it is (cdk-nag's reason for its own lack of one).
 */
const DEAD_LETTERS = Symbol.for('berth.deadLetterQueue');
export function deadLetterQueue(scope: Construct, id: string, of: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  NagSuppressions.addResourceSuppressions(queue, [
    { id: 'AwsSolutions-SQS3', reason: `This queue is the dead-letter queue of ${of}` },
  ]);
  Object.defineProperty(queue, DEAD_LETTERS, { value: true });
  return queue;
}
const isDeadLetterQueue = (c: IConstruct): c is sqs.Queue =>
  (c as unknown as Record<symbol, unknown>)[DEAD_LETTERS] === true;

/** A threshold alarm at or above `threshold` (default: any) in one period; no data is no trouble. */
const atLeast = (scope: Stack, id: string, description: string, metric: cw.IMetric, threshold = 1) =>
  new cw.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });

/**
 * Alarms on what the app's earlier stacks made: each Berth function (errors, throttles), each state machine
 * (failed and timed-out executions) and each dead-letter queue (any message). Found in the app's construct
 * tree, so a stack added later is watched without an edit here; Observability is the last stack.
 */
function watchedResourceAlarms(stack: Stack, stackPrefix: string): cw.Alarm[] {
  const period = Duration.minutes(5);
  const all = stack.node.root.node.findAll();
  // `<stack><construct>` without the stage and app (SST's stack-name prefix): the same ids in every stage.
  const name = (c: IConstruct) => `${Stack.of(c).node.id.replace(stackPrefix, '')}${c.node.id}`;
  return [
    ...all
      .filter(isBerthFunction)
      .flatMap((fn) => [
        atLeast(stack, `${name(fn)}Errors`, `${name(fn)}: the function failed`, fn.metricErrors({ period })),
        atLeast(
          stack,
          `${name(fn)}Throttles`,
          `${name(fn)}: invocations throttled (concurrency limit)`,
          fn.metricThrottles({ period }),
        ),
      ]),
    ...all
      .filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)
      .flatMap((machine) => [
        atLeast(
          stack,
          `${name(machine)}ExecutionsFailed`,
          `${name(machine)}: a workspace start failed`,
          machine.metricFailed({ period }),
        ),
        atLeast(
          stack,
          `${name(machine)}ExecutionsTimedOut`,
          `${name(machine)}: a workspace start ran past the machine's timeout`,
          machine.metricTimedOut({ period }),
        ),
      ]),
    ...all.filter(isDeadLetterQueue).map((queue) =>
      atLeast(
        stack,
        `${name(queue)}Depth`,
        `${name(queue)}: an event could not be handled (see the queue's messages)`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
      ),
    ),
  ];
}

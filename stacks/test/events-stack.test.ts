import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import {
  Events,
  POOL_REFILL_INTERVAL,
  TASK_STATE_FUNCTION_RETRIES,
  TASK_STATE_MAX_EVENT_AGE,
  TASK_STATE_RETRY_ATTEMPTS,
} from '../Events.js';
import { Network } from '../Network.js';
import { Provisioning } from '../Provisioning.js';
import { Stopping } from '../Stopping.js';
import { Workspaces } from '../Workspaces.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks, withBerthEnv } from './synth.js';

const STACKS = [Data, Network, EgressGateway, Workspaces, Provisioning, Stopping, Events];

const synthEvents = async () => (await synthStacks(STACKS)).get(Events)!;
const POOLS = { BERTH_POOL_TARGETS: 'default:2-20' };

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

describe('Events stack', () => {
  let template: Template;
  let queue: string;
  beforeAll(async () => {
    template = await synthEvents();
    queue = logicalId(template, 'AWS::SQS::Queue', 'EventDeadLetters');
  }, 120_000);

  it("sends this cluster's stopped tasks to the task-state function, with retries and the dead-letter queue", () => {
    const taskState = logicalId(template, 'AWS::Lambda::Function', 'TaskState');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Workspaces:.*Cluster.*Arn') }],
          lastStatus: ['STOPPED'],
        },
      },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [taskState, 'Arn'] },
          Id: Match.anyValue(),
          RetryPolicy: {
            MaximumEventAgeInSeconds: TASK_STATE_MAX_EVENT_AGE.toSeconds(),
            MaximumRetryAttempts: TASK_STATE_RETRY_ATTEMPTS,
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        },
      ],
    });
    // An error thrown by the handler is retried by Lambda, then lands in the same queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: taskState },
      MaximumRetryAttempts: TASK_STATE_FUNCTION_RETRIES,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
  });

  it('keeps dead letters encrypted, 14 days, reachable over TLS only, writable by the two rules only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy'))[0] as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    };
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const senders = statements.filter((s) => s.Effect === 'Allow');
    expect(senders).toHaveLength(2);
    for (const s of senders) {
      expect(s).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
      });
    }
  });

  it('runs the sweep every minute by default, no retries that would overlap the next run', () => {
    const sweep = logicalId(template, 'AWS::Lambda::Function', 'Sweep');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [sweep, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sweep },
      MaximumRetryAttempts: 0,
    });
    template.resourceCountIs('AWS::Events::Rule', 2);
  });

  it('takes the sweep interval from BERTH_SWEEP_MINUTES', async () => {
    process.env.BERTH_SWEEP_MINUTES = '5';
    try {
      (await synthEvents()).hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
      });
    } finally {
      delete process.env.BERTH_SWEEP_MINUTES;
    }
  });

  it('has the refill function without pools (the API invokes it by name), but no refill schedule', () => {
    const refill = logicalId(template, 'AWS::Lambda::Function', 'PoolRefill');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Berth pool-refill',
      FunctionName: Match.stringLikeRegexp('^test-.*-pool-refill$'),
    });
    // A failed refill is repeated by the next request or run.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: refill },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: POOL_REFILL_INTERVAL.toSeconds(),
    });
    expect(
      Object.keys(template.findResources('AWS::Events::Rule')).some((id) => id.startsWith('PoolRefill')),
    ).toBe(false);
  });

  it('refills the warm pools every minute when BERTH_POOL_TARGETS sets pools, failed deliveries to the dead letters', async () => {
    const pooled = await withBerthEnv(POOLS, synthEvents);
    const refill = logicalId(pooled, 'AWS::Lambda::Function', 'PoolRefill');
    pooled.resourceCountIs('AWS::Events::Rule', 3);
    pooled.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [refill, 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(pooled, 'AWS::SQS::Queue', 'EventDeadLetters'), 'Arn'] },
          },
        }),
      ],
    });
  }, 120_000);

  describe('cdk-nag AwsSolutions', () => {
    let report: NagReport;
    beforeAll(async () => {
      // With pools: the refill schedule too.
      report = await withBerthEnv(POOLS, () => nag(STACKS));
    }, 120_000);

    it('finds no unsuppressed error and can evaluate every rule', () => {
      expect(report.errors).toEqual([]);
      expect(report.validationFailures).toEqual([]);
    });

    it('gives a reason for every suppression', () => {
      expect(report.suppressions.length).toBeGreaterThan(0);
      for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(20);
    });
  });
});

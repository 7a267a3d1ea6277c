import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Network } from '../Network.js';
import { STOP_MAX_RECEIVES, STOP_WORKER_TIMEOUT, Stopping } from '../Stopping.js';
import { Workspaces } from '../Workspaces.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks } from './synth.js';

const STACKS = [Data, Network, EgressGateway, Workspaces, Stopping];

describe('Stopping stack', () => {
  let template: Template;
  let report: NagReport;
  beforeAll(async () => {
    template = (await synthStacks(STACKS)).get(Stopping)!;
    report = await nag(STACKS);
  }, 120_000);

  const worker = () =>
    Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.Description === 'Berth workspace-stop',
    )!;

  it('queues stops encrypted, TLS only, redelivered a few times, then into a dead-letter queue', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * STOP_WORKER_TIMEOUT.toSeconds(),
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StopDeadLetters'), 'Arn'] },
        maxReceiveCount: STOP_MAX_RECEIVES,
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the stop worker (workspace-stop) for up to 15 minutes, one stop per invocation, failures per message', () => {
    const [id, fn] = worker();
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Timeout: STOP_WORKER_TIMEOUT.toSeconds() });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StopQueue'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the worker the bucket, the table and ECS, and no stop queue to send to', () => {
    const env = worker()[1].Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['TABLE_NAME', 'FILES_BUCKET', 'CLUSTER_ARN', 'TASK_DEFINITION_ARN']),
    );
    expect(env.STOP_QUEUE_URL).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions with every suppression reasoned', () => {
    expect(report.errors).toEqual([]);
  });
});

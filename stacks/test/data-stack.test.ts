import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR, INDEX } from '../../packages/aws/src/dynamodb/table-definition.js';
import { Data } from '../Data.js';
import { nag } from './nag.js';
import { synth } from './synth.js';

describe('Data stack', () => {
  let template: Template;
  beforeAll(async () => {
    template = await synth(Data);
  }, 120_000);

  it('has one table keyed pk/sk with TTL on expiresAt and point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: ATTR.pk, KeyType: 'HASH' },
        { AttributeName: ATTR.sk, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has every index the store queries', () => {
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0] as {
      Properties: { GlobalSecondaryIndexes: { IndexName: string }[] };
    };
    const names = table.Properties.GlobalSecondaryIndexes.map((i) => i.IndexName).sort();
    expect(names).toEqual(Object.values(INDEX).sort());
  });

  it('keeps snapshots in a private, versioned, encrypted bucket that refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});

describe('Data stack: staged transfers', () => {
  it('expires staged large-file transfers after a day (and their old versions and unfinished uploads)', async () => {
    const template = await synth(Data);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'transfers/',
            ExpirationInDays: 1,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          }),
        ]),
      },
    });
  }, 120_000);
});

describe('Data stack: cdk-nag AwsSolutions', () => {
  it('finds no unsuppressed error, can evaluate every rule, and every suppression has a reason', async () => {
    const report = await nag([Data]);
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
    for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(20);
  }, 120_000);
});

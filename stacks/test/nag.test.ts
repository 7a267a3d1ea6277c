import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { StackContext } from 'sst/constructs';
import { describe, expect, it } from 'vitest';
import config from '../../sst.config.js';
import { suppressSstInternals } from '../nag-suppressions.js';
import { nag, nagApp } from './nag.js';
import { withBerthEnv } from './synth.js';

// A bucket that allows plain HTTP and keeps no access logs: AwsSolutions-S10 and -S1 errors.
const plainBucket = ({ stack }: StackContext) => {
  suppressSstInternals(stack);
  return new s3.Bucket(stack, 'Plain');
};

function Unsafe(ctx: StackContext) {
  plainBucket(ctx);
}

function Suppressed(ctx: StackContext) {
  NagSuppressions.addResourceSuppressions(plainBucket(ctx), [
    { id: 'AwsSolutions-S1', reason: 'test fixture: access logs are not what this test is about' },
    { id: 'AwsSolutions-S10', reason: 'test fixture: the suppression path is what this test checks' },
  ]);
}

describe('cdk-nag harness', () => {
  it('reports the unsuppressed AwsSolutions errors of the target stack', async () => {
    const { errors } = await nag([Unsafe]);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('AwsSolutions-S1'),
        expect.stringContaining('AwsSolutions-S10'),
      ]),
    );
    expect(
      errors.every((e) => e.includes('/Plain/')),
      errors.join('\n'),
    ).toBe(true);
  }, 120_000);

  it('drops suppressed findings and lists each suppression with its reason', async () => {
    const report = await nag([Suppressed]);
    expect(report.errors).toEqual([]);
    expect(report.suppressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'AwsSolutions-S10',
          reason: expect.stringContaining('suppression path'),
        }),
      ]),
    );
  }, 120_000);

  it('refuses a suppression without a real reason', () => {
    const stack = new Stack(new App(), 'Fixture');
    const tooShort = [{ id: 'AwsSolutions-S1', reason: 'because' }];
    expect(() => NagSuppressions.addStackSuppressions(stack, tooShort)).toThrow(/reason/);
  });
});

describe('cdk-nag AwsSolutions on every stack of sst.config.ts', () => {
  const stackIds = [
    ...readFileSync(new URL('../../sst.config.ts', import.meta.url), 'utf8').matchAll(/\.stack\((\w+)\)/g),
  ].map((m) => m[1]!);

  it.each([
    ['Anthropic mode, Fargate', {}],
    [
      'Bedrock mode, EC2 capacity, warm pools',
      {
        BERTH_MODEL_PROVIDER: 'bedrock',
        BERTH_BEDROCK_MODELS: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
        BERTH_CAPACITY: 'ec2',
        BERTH_POOL_TARGETS: 'default:2-20',
      },
    ],
  ])(
    '%s: no unsuppressed error, every rule evaluated, a reason on every suppression',
    async (_, vars) => {
      const reports = await withBerthEnv(vars, () => nagApp((app) => config.stacks(app)));
      expect([...reports.keys()].map((id) => id.split('-').at(-1)).sort()).toEqual([...stackIds].sort());
      for (const [stack, report] of reports) {
        expect(report.errors, stack).toEqual([]);
        expect(report.validationFailures, stack).toEqual([]);
        for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(20);
      }
    },
    300_000,
  );
});

import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { StackContext } from 'sst/constructs';
import { describe, expect, it } from 'vitest';
import { suppressSstInternals } from '../nag-suppressions.js';
import { nag } from './nag.js';

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

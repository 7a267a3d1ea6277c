import { describe, expect, it } from 'vitest';
import { BUDGET_KB, bundleAll } from '../bundle-lambdas.mjs';

// Bundles every Lambda entry as deployed (a few seconds; the workspace packages come from their dist/, so
// it runs after `tsc -b`, as `npm test` and `npm run bundle` do).
describe('Lambda bundles', async () => {
  const rows = await bundleAll();

  it('finds every entry', () => {
    expect(rows.map((r) => r.entry)).toContain('api.ts');
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows.map((r) => [r.entry, r] as const))(
    `%s is at most ${BUDGET_KB} KB minified, every chunk counted`,
    (_entry, row) => {
      expect(row.coldStartBytes).toBeLessThanOrEqual(row.bytes);
      expect(Math.round(row.bytes / 102.4) / 10).toBeLessThanOrEqual(BUDGET_KB);
    },
  );

  it('only the authorizer loads SSM (API keys); only the API functions and the refill Step Functions; only the API functions Lambda; only what touches files S3; only what stops SQS', () => {
    const loading = (client: string) => rows.filter((r) => r.sdk.includes(client)).map((r) => r.entry);
    // The API functions take the tenant from the authorizer's answer.
    expect(loading('ssm')).toEqual(['api-authorizer.ts']);
    // And the warm pool's refill, whose new members are provisioning executions.
    expect(loading('sfn')).toEqual(['api-stream.ts', 'api.ts', 'pool-refill.ts']);
    // Only the API functions invoke a function (the refill, after a claim or a miss).
    expect(loading('lambda')).toEqual(['api-stream.ts', 'api.ts']);
    // The sweep hands expired workspaces to the stop worker: no S3.
    expect(loading('s3')).toEqual([
      'api-stream.ts',
      'api.ts',
      'provision-restore-files.ts',
      'workspace-stop.ts',
    ]);
    expect(loading('sqs')).toEqual(['api-stream.ts', 'api.ts', 'sweep.ts']);
  });
});

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

  it.each(rows.map((r) => [r.entry, r] as const))(`%s is at most ${BUDGET_KB} KB minified`, (_entry, row) => {
    expect(Math.round(row.bytes / 102.4) / 10).toBeLessThanOrEqual(BUDGET_KB);
  });

  it('only the API functions load SSM (API keys) and Step Functions; only what touches files loads S3', () => {
    const loading = (client: string) => rows.filter((r) => r.sdk.includes(client)).map((r) => r.entry);
    // The API's authorizer checks the same keys.
    expect(loading('ssm')).toEqual(['api-authorizer.ts', 'api-stream.ts', 'api.ts']);
    expect(loading('sfn')).toEqual(['api-stream.ts', 'api.ts']);
    expect(loading('s3')).toEqual(['api-stream.ts', 'api.ts', 'provision-restore-files.ts', 'sweep.ts']);
  });
});

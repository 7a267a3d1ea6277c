import { describe, expect, it } from 'vitest';
import { API_KEY, json, routes, runCli, useFakeBerth } from './support/run-cli.js';

// `berth pool`: GET /v1/pool as a table, one row per template, or the report as it came.
const fake = useFakeBerth();
const env = () => ({ BERTH_URL: fake.url, BERTH_API_KEY: API_KEY });

const REPORT = {
  templates: [
    { template: 'default', target: 12, warm: 9, provisioning: 3, claims: 148, misses: 7 },
    { template: 'gpu-large', target: 1, warm: 0, provisioning: 1, claims: 0, misses: 2 },
    { template: 'plain', target: 0, warm: 0, provisioning: 0, claims: 0, misses: 0 },
  ],
};

describe('pool', () => {
  it('prints template, target, warm, provisioning, claims and misses, columns aligned', async () => {
    fake.handle(routes({ 'GET /v1/pool': (_req, res) => json(res, 200, REPORT) }));
    const r = await runCli(['pool'], { env: env() });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'TEMPLATE   TARGET  WARM  PROVISIONING  CLAIMS  MISSES',
        'default    12      9     3             148     7',
        'gpu-large  1       0     1             0       2',
        'plain      0       0     0             0       0',
        '',
      ].join('\n'),
    );
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v1/pool']);
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('--json prints the report as the API answered it', async () => {
    fake.handle(routes({ 'GET /v1/pool': (_req, res) => json(res, 200, REPORT) }));
    const r = await runCli(['pool', '--json'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual(REPORT);
  });

  it('no templates: the header alone', async () => {
    fake.handle(routes({ 'GET /v1/pool': (_req, res) => json(res, 200, { templates: [] }) }));
    const r = await runCli(['pool'], { env: env() });
    expect(r).toMatchObject({ code: 0, stdout: 'TEMPLATE  TARGET  WARM  PROVISIONING  CLAIMS  MISSES\n' });
  });

  it('takes no argument: exit 2, nothing sent', async () => {
    const r = await runCli(['pool', 'default'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^berth: unexpected argument "default"\nusage: berth pool/);
    expect(fake.requests).toEqual([]);
  });
});

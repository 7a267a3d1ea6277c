import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'berth-npm-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run synth (scripts/synth.mjs)', () => {
  it('writes the template of every stack of sst.config.ts offline and prints where each went', async () => {
    // No credentials anywhere: a call to STS (or any AWS API) would fail the synth.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: 'berth-no-such-profile',
      AWS_CONFIG_FILE: join(out, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['scripts/synth.mjs', '--stage', 'ci', '--out', out],
      { cwd: ROOT, env },
    );
    const printed = [...stdout.matchAll(/^\s+(\S+)\s+(\S+\.template\.json)$/gm)].map((m) => ({
      stack: m[1]!,
      template: resolve(ROOT, m[2]!),
    }));
    const registered = [...readFileSync(join(ROOT, 'sst.config.ts'), 'utf8').matchAll(/\.stack\((\w+)\)/g)];
    expect(printed.map((p) => p.stack).sort()).toEqual(registered.map((m) => `ci-berth-${m[1]}`).sort());
    for (const { template } of printed) {
      expect(template.startsWith(out), template).toBe(true);
      expect(existsSync(template), template).toBe(true);
      const json = JSON.parse(readFileSync(template, 'utf8')) as {
        Resources: Record<string, { Type: string }>;
      };
      expect(Object.keys(json.Resources).length).toBeGreaterThan(0);
      // No version reporting in the templates.
      expect(Object.values(json.Resources).map((r) => r.Type)).not.toContain('AWS::CDK::Metadata');
    }
  }, 60_000);
});

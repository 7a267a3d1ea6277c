#!/usr/bin/env node
// Writes the CloudFormation templates of every stack sst.config.ts registers, offline: CDK directly, in
// SST's deploy mode, with no AWS call (no STS: a fixed account unless CDK_DEFAULT_ACCOUNT or AWS_ACCOUNT_ID
// names one; the region of sst.config.ts), no telemetry, and no version reporting in the templates. Prints
// where each template went. BERTH_* settings (stacks/settings.ts) apply as in a deploy.
//
// The functions' code is SST's placeholder: SST bundles the handlers during `sst deploy` (that needs the
// account); `npm run bundle` measures the same bundles offline.
//
//   node scripts/synth.mjs [--stage <name>] [--out <dir>]     (default: --stage dev --out cdk.out/<stage>)

import { mkdirSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Used when the environment names no account: any 12 digits do for a template. */
export const DUMMY_ACCOUNT = '123456789012';

/**
 * Synthesizes the app of sst.config.ts into `outdir` and returns each stack's name and template path.
 * Runs in the repo root (SST finds its project there).
 */
export async function synthApp({ stage = 'dev', outdir = resolve(ROOT, 'cdk.out', stage) } = {}) {
  process.env.SST_TELEMETRY_DISABLED = '1';
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  process.chdir(ROOT);
  // The stacks import TypeScript sources by their .js names; tsx resolves them, in this module cache.
  register();
  const { initProject, useProject } = await import('sst/project.js');
  await initProject({ stage });
  const { App } = await import('sst/constructs');
  const { default: config } = await import(resolve(ROOT, 'sst.config.ts'));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const app = new App(
    {
      mode: 'deploy',
      name: useProject().config.name,
      stage,
      region: useProject().config.region,
      account: process.env.CDK_DEFAULT_ACCOUNT || process.env.AWS_ACCOUNT_ID || DUMMY_ACCOUNT,
    },
    { outdir, analyticsReporting: false },
  );
  await config.stacks(app);
  const assembly = app.synth();
  // In the order sst.config.ts registers them.
  return app.node.children
    .filter((child) => assembly.stacks.some((s) => s.stackName === child.stackName))
    .map(({ stackName }) => ({
      stack: stackName,
      template: assembly.getStackByName(stackName).templateFullPath,
    }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, out: { type: 'string' } } });
  const stage = values.stage ?? 'dev';
  const outdir = resolve(values.out ?? resolve(ROOT, 'cdk.out', stage));
  const templates = await synthApp({ stage, outdir });
  // Inside the repo a relative path, elsewhere the absolute one.
  const shown = (path) => (relative(ROOT, path).startsWith('..') ? path : relative(ROOT, path));
  console.log(`Synthesized ${templates.length} stacks (stage ${stage}) offline into ${shown(outdir)}:`);
  for (const { stack, template } of templates) console.log(`  ${stack.padEnd(24)} ${shown(template)}`);
}

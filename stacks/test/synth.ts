import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { App, getStack, type StackContext } from 'sst/constructs';
import { initProject } from 'sst/project.js';
import { afterAll } from 'vitest';

export type StackFn = (ctx: StackContext) => unknown;

/**
 * Synthesizes SST stacks offline into one app, in the order given, and returns each one's CloudFormation
 * template for assertions. A stack that calls `use(Other)` needs Other earlier in the list (e.g.
 * `[Data, Network]`). `sst build` is no check here (it needs AWS credentials and exits 0 silently offline), so
 * tests synthesize with CDK directly.
 */
export async function synthStacks(stacks: readonly StackFn[]): Promise<Map<StackFn, Template>> {
  const app = await testApp();
  for (const stack of stacks) app.stack(stack as never);
  return new Map(stacks.map((stack) => [stack, Template.fromStack(getStack(stack as never))]));
}

/** Synthesizes one stack that uses no other stack, and returns its template. */
export async function synth(stack: StackFn): Promise<Template> {
  return (await synthStacks([stack])).get(stack)!;
}

/**
 * One cloud assembly dir per test file, removed after it: CDK's default is a new /tmp/cdk.out* per app, and
 * each holds a copy of the image build contexts (~32 MB), which piled up to gigabytes.
 */
let assemblyDir: string | undefined;
const outdir = () => (assemblyDir ??= mkdtempSync(join(tmpdir(), 'berth-synth-')));
afterAll(() => {
  if (assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
  assemblyDir = undefined;
});

/** An SST app as `sst deploy` would build it, for a fixed account and region, with nothing to look up. */
export async function testApp(): Promise<App> {
  process.env.SST_TELEMETRY_DISABLED = '1';
  await initProject({ stage: 'test' });
  return new App(
    {
      mode: 'deploy',
      stage: 'test',
      region: 'us-east-1',
      account: '123456789012',
    } as never,
    { outdir: outdir() },
  );
}

/** Runs `fn` with exactly these BERTH_* variables set (the developer's own are put aside meanwhile). */
export async function withBerthEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('BERTH_'));
  for (const [key] of saved) delete process.env[key];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(vars)) delete process.env[key];
    Object.assign(process.env, Object.fromEntries(saved));
  }
}

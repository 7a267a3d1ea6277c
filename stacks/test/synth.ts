import { Template } from 'aws-cdk-lib/assertions';
import { App, getStack, type StackContext } from 'sst/constructs';
import { initProject } from 'sst/project.js';

/**
 * Synthesizes one SST stack offline and returns its CloudFormation template for assertions. `sst build` is no
 * check here (it needs AWS credentials and exits 0 silently offline), so tests synthesize with CDK directly.
 */
export async function synth(stack: (ctx: StackContext) => unknown): Promise<Template> {
  process.env.SST_TELEMETRY_DISABLED = '1';
  await initProject({ stage: 'test' });
  const app = new App({
    mode: 'deploy',
    stage: 'test',
    region: 'us-east-1',
    account: '123456789012',
  } as never);
  app.stack(stack as never);
  return Template.fromStack(getStack(stack as never));
}

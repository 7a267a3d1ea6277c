import type { SSTConfig } from 'sst';
import { Api } from './stacks/Api.js';
import { Data } from './stacks/Data.js';
import { EgressGateway } from './stacks/EgressGateway.js';
import { Events } from './stacks/Events.js';
import { Network } from './stacks/Network.js';
import { Observability } from './stacks/Observability.js';
import { Provisioning } from './stacks/Provisioning.js';
import { Stopping } from './stacks/Stopping.js';
import { Workspaces } from './stacks/Workspaces.js';

/**
 * Berth on AWS (SST v2). One stack file per concern (ARCHITECTURE.md §2); the Data stack is first. Deploy with
 * `npx sst deploy --stage <name>`; never use `sst build` as a check (it exits 0 offline): the stacks are
 * synthesized and asserted by stacks/test/*.test.ts.
 */
export default {
  config() {
    return { name: 'berth', region: process.env.AWS_REGION ?? 'us-east-1' };
  },
  stacks(app) {
    // Traces come from Lambda active tracing, not the Powertools Tracer (docs/lambda-router.md: bundle size).
    // keepNames off: SST turns it on by default, it costs ~9 KB per entry, and Berth's error classes name
    // themselves. splitting: what a handler loads with import() (the snapshot codec) is its own chunk, not
    // part of every cold start. scripts/bundle-lambdas.mjs measures with the same options.
    app.setDefaultFunctionProps({
      runtime: 'nodejs22.x',
      architecture: 'arm_64',
      tracing: 'active',
      nodejs: { format: 'esm', minify: true, splitting: true, esbuild: { keepNames: false } },
    });
    // Each stack use()s only earlier ones; Observability last: it finds every function, machine and DLQ.
    app
      .stack(Data)
      .stack(Network)
      .stack(EgressGateway)
      .stack(Workspaces)
      .stack(Provisioning)
      .stack(Stopping)
      .stack(Api)
      .stack(Events)
      .stack(Observability);
  },
} satisfies SSTConfig;

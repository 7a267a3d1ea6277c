import type { SSTConfig } from 'sst';
import { Data } from './stacks/Data.js';
import { Observability } from './stacks/Observability.js';

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
    app.setDefaultFunctionProps({ runtime: 'nodejs22.x', architecture: 'arm_64' });
    app.stack(Data).stack(Observability);
  },
} satisfies SSTConfig;

import { createSweepHandler } from '../handlers/sweep-handler.js';
import { dynamoStore, ecsRuntime, httpWorkspaceAgent, s3Blobs } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = {
  store: dynamoStore,
  runtime: ecsRuntime,
  blobs: s3Blobs,
  workspaceAgent: httpWorkspaceAgent,
};

/** Expiry (files saved to S3 through the agent before the stop), stuck states, orphan tasks. No API keys. */
export const handler = createSweepHandler(lambdaDeps(wiring));

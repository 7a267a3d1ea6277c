import { createStopHandler } from '../handlers/stop-handler.js';
import { dynamoStore, ecsRuntime, httpWorkspaceAgent, s3Blobs, signedAgentTokens } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** Saves files (the agent's archive into S3), stops the task, ends the record: no stop queue of its own. */
export const wiring: Wiring = {
  store: dynamoStore,
  runtime: ecsRuntime,
  blobs: s3Blobs,
  workspaceAgent: httpWorkspaceAgent,
  agentTokens: signedAgentTokens,
};

/** The stop worker on the stop queue: finishes the stops the API and the sweep hand over. */
export const handler = createStopHandler(lambdaDeps(wiring));

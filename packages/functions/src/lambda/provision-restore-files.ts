import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore, httpWorkspaceAgent, s3Blobs, signedAgentTokens } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = {
  store: dynamoStore,
  blobs: s3Blobs,
  workspaceAgent: httpWorkspaceAgent,
  agentTokens: signedAgentTokens,
};

/** Restores the conversation's files from S3 into the workspace: store, S3, agent. */
export const handler = createProvisionStepHandler('RestoreFiles', lambdaDeps(wiring));

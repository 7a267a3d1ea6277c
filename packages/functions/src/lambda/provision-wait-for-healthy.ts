import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore, ecsTasks, gatewayEgress, httpWorkspaceAgent } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = {
  store: dynamoStore,
  runtime: ecsTasks,
  workspaceAgent: httpWorkspaceAgent,
  egress: gatewayEgress,
};

/**
 * Polls the workspace agent's health (and ECS, for a task that died), then hands the task's proxy sidecar its
 * credential: store, ECS, agent, sidecar (and the signing key).
 */
export const handler = createProvisionStepHandler('WaitForHealthy', lambdaDeps(wiring));

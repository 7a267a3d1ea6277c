import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore, ecsRuntime, httpWorkspaceAgent } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsRuntime, workspaceAgent: httpWorkspaceAgent };

/** Polls the workspace agent's health (and ECS, for a task that died): store, ECS, agent. */
export const handler = createProvisionStepHandler('WaitForHealthy', lambdaDeps(wiring));

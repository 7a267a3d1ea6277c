import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore, ecsRuntime } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsRuntime };

/** Fails the workspace and stops its task: the store and ECS. */
export const handler = createProvisionStepHandler('MarkFailed', lambdaDeps(wiring));

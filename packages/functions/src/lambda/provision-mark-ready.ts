import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore };

/** Marks the workspace ready: the store only. */
export const handler = createProvisionStepHandler('MarkReady', lambdaDeps(wiring));

import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStartGate, dynamoStore, ecsRuntime } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsRuntime, startGate: dynamoStartGate };

/** Starts the workspace task, in its turn of the RunTask token bucket: the store (the bucket too) and ECS. */
export const handler = createProvisionStepHandler('StartContainer', lambdaDeps(wiring));

import { createTaskStateHandler } from '../handlers/task-state-handler.js';
import { dynamoStore, ecsRuntime } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsRuntime };

/** A stopped ECS task → its workspace ended: the store and ECS (to stop what is left). */
export const handler = createTaskStateHandler(lambdaDeps(wiring));

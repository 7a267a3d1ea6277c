import { createSweepHandler } from '../handlers/sweep-handler.js';
import { dynamoStore, ecsRuntime, sqsStopper } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsRuntime, stopper: sqsStopper };

/**
 * Expiry (handed to the stop worker, which saves the files: the sweep never touches the bucket), stuck
 * states, orphan tasks. No API keys.
 */
export const handler = createSweepHandler(lambdaDeps(wiring));

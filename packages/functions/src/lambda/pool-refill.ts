import { createPoolRefillHandler } from '../handlers/pool-refill-handler.js';
import { dynamoStore, ecsTasks, sfnProvisioner } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** The ports this function reaches; every other port is left unwired. */
export const wiring: Wiring = { store: dynamoStore, runtime: ecsTasks, provisioner: sfnProvisioner };

/**
 * Brings the warm pools to their targets, on schedule and when the API asks (after a claim or a miss): new
 * members are provisioning executions (their StartContainer step takes its turn of the RunTask bucket), and
 * drained members' tasks are stopped here (a member holds no files to save). No RunTask, no bucket, no files.
 */
export const handler = createPoolRefillHandler(lambdaDeps(wiring));

import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { dynamoStore } from './aws-ports.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** Reads the previous workspace's record and moves this one's deadline: the store only. */
export const wiring: Wiring = { store: dynamoStore };

/** Provisioning's AwaitPredecessor: one check that the conversation's previous workspace has ended. */
export const handler = createProvisionStepHandler('AwaitPredecessor', lambdaDeps(wiring));

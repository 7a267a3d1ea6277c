import { createProvisionStepHandler } from '../handlers/provision-step-handler.js';
import { awsDeps } from './aws-deps.js';

export const handler = createProvisionStepHandler('StartContainer', awsDeps);

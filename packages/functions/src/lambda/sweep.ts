import { createSweepHandler } from '../handlers/sweep-handler.js';
import { awsDeps } from './aws-deps.js';

export const handler = createSweepHandler(awsDeps);

import { createApiHandler } from '../handlers/api-handler.js';
import { awsDeps } from './aws-deps.js';

/** Public HTTP API behind API Gateway (bodies collected, not streamed). */
export const handler = createApiHandler(awsDeps);

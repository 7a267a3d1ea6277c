import { createApiHandler } from '../handlers/api-handler.js';
import { API_WIRING, awsDeps } from './aws-deps.js';

/** Every port (the API reaches them all) and API-key authentication. */
export const wiring = API_WIRING;

/** Public HTTP API behind API Gateway (bodies collected, not streamed). */
export const handler = createApiHandler(awsDeps);

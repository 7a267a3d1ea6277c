import { createApiHandler } from '../handlers/api-handler.js';
import { API_WIRING, awsDeps } from './aws-deps.js';

/** Every port (the API reaches them all) and API-key authentication. */
export const wiring = API_WIRING;

/** The same API on a Lambda function URL with response streaming: SSE (exec/stream, execute) flows live. */
export const handler = createApiHandler(awsDeps, { streaming: true });

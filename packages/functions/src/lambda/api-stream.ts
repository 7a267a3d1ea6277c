import { createApiHandler } from '../handlers/api-handler.js';
import { API_WIRING, awsDeps } from './aws-deps.js';

/** Every port (the API reaches them all) and API-key authentication. */
export const wiring = API_WIRING;

/**
 * The same API for the operations that answer a stream (SSE of exec/stream and execute, file bytes): API
 * Gateway invokes it with response transfer mode STREAM, so the answer flows live, throttled like the rest.
 */
export const handler = createApiHandler(awsDeps, { streaming: true });

import { byAuthorizer } from '../auth/authorizer-context.js';
import { createApiHandler } from '../handlers/api-handler.js';
import { streamedApiRoutes } from '../routes/streamed-routes.js';
import { API_WIRING, awsDeps } from './aws-deps.js';

/** Every port of the core services; the tenant comes from API Gateway's authorizer. */
export const wiring = API_WIRING;

/**
 * The operations that answer a stream (SSE of exec and execute, file and binary-output bytes): API Gateway
 * invokes this function with response transfer mode STREAM, so the answer flows live, throttled like the rest.
 */
export const handler = createApiHandler(awsDeps, {
  routes: streamedApiRoutes,
  authenticate: byAuthorizer,
  streaming: true,
});

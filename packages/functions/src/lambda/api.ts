import { byAuthorizer } from '../auth/authorizer-context.js';
import { createApiHandler } from '../handlers/api-handler.js';
import { bufferedApiRoutes } from '../routes/buffered-routes.js';
import { API_WIRING, awsDeps } from './aws-deps.js';

/** Every port of the core services; the tenant comes from API Gateway's authorizer. */
export const wiring = API_WIRING;

/** The public HTTP API's operations that answer JSON, behind API Gateway (bodies collected, not streamed). */
export const handler = createApiHandler(awsDeps, { routes: bufferedApiRoutes, authenticate: byAuthorizer });

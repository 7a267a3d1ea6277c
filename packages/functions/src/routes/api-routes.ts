import { routeLookup } from '../http/middy-router.js';
import type { Route } from '../http/route.js';
import { bufferedApiRoutes } from './buffered-routes.js';
import { openapiRoutes } from './openapi.js';
import { streamedApiRoutes } from './streamed-routes.js';

/**
 * The public HTTP API (API.md), one table: the local host serves all of it with one handler and asks it which
 * routes stream. Deployed, each API function carries only its part (buffered-routes.ts, streamed-routes.ts)
 * and API Gateway serves the OpenAPI document. A new route goes in one of the parts (docs/lambda-router.md).
 */
export const apiRoutes: readonly Route[] = [...bufferedApiRoutes, ...streamedApiRoutes, ...openapiRoutes];

/** The route of `method path` in the API table, if any (trailing slash optional, as the router does). */
export const findApiRoute = routeLookup(apiRoutes);

import { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ApiError, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { byApiKey, type Authenticate } from '../auth/authenticate.js';
import type { ApiEvent } from '../http/api-event.js';
import { bufferBody } from '../http/buffered-body.js';
import { apiEventNormalizer } from '../http/rest-api-event.js';
import { pathParams } from '../http/path-params.js';
import { routeWith } from '../http/middy-router.js';
import type { ApiResponse } from '../http/responses.js';
import type { Route } from '../http/route.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { errorResponseMiddleware } from '../middleware/error-response.js';
import { requestMetrics } from '../middleware/request-metrics.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

export interface ApiHandlerOptions {
  /** The routes this handler serves (routes/: all of them locally, one part per deployed function). */
  routes: readonly Route[];
  /** Who sent the request; default: the API key checked here against the deps' key list. */
  authenticate?: Authenticate;
  /**
   * Response streaming (API Gateway's response transfer mode STREAM over `streamifyResponse`, and the local
   * host): SSE bodies flow as produced, and byte bodies (files) go out raw with their length. Without it
   * (buffered proxy integration), a streamed body is collected up to the platform's response limit and sent
   * whole; past it the answer is a 413.
   */
  streaming?: boolean;
  maxBodyBytes?: number;
  observability?: HandlerObservability;
}

/** What middy's router reports for a method and path no route has; the handler answers it after auth. */
class NoRoute extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`no route for ${method} ${path}`);
  }
}

/**
 * The public HTTP API (API.md) as one Lambda handler: API Gateway event in (REST API proxy payload 1.0 in
 * the cloud, 2.0 locally: both read as an ApiEvent), route (`opts.routes`, matched by middy's
 * http-router) → core service, response out. Middlewares, in order: the event as an ApiEvent, Lambda
 * context into logs, EMF metrics, request count and latency, errors in API.md's shape, body limit. Each route but the
 * public ones authenticates first; so does a request no route matches (401 before 404 reveals nothing).
 */
export function createApiHandler(getDeps: DepsProvider, opts: ApiHandlerOptions) {
  const { logger, metrics } = opts.observability ?? createObservability(SERVICE.api);
  const deps = handlerDeps(getDeps, { logger, metrics });
  const tenantOfRequest = opts.authenticate ?? byApiKey;
  const authenticate = async (event: ApiEvent) => {
    const tenantId = await tenantOfRequest(event, deps);
    event.berth = { ...event.berth, tenantId };
    logger.appendKeys({ tenantId });
  };

  const serve = (route: Route) => async (event: ApiEvent) => {
    if (route.auth !== false) await authenticate(event);
    const params = pathParams(event);
    if (params.id) logger.appendKeys({ workspaceId: params.id });
    return forDeployment(await route.handle({ event, deps: await deps(), params, logger }), opts.streaming);
  };
  const dispatch = routeWith<Promise<ApiResponse>>(opts.routes, serve, (method, path) => {
    throw new NoRoute(method, path);
  });

  const handle = async (event: ApiEvent): Promise<ApiResponse> => {
    try {
      return await dispatch(event);
    } catch (e) {
      if (!(e instanceof NoRoute)) throw e;
      await authenticate(event);
      throw new ApiError('not_found', e.message);
    }
  };

  return middy<ApiEvent, ApiResponse>({ streamifyResponse: opts.streaming ?? false })
    .use(apiEventNormalizer())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(requestMetrics(metrics))
    .use(errorResponseMiddleware(logger, metrics))
    .use(bodyLimit(opts.maxBodyBytes ?? 6 * 1024 * 1024))
    .handler(handle);
}

/**
 * A route's answer as the deployment sends it (statusCode, headers, body, isBase64Encoded: what a REST API
 * proxy integration reads; no cookies or multi-value headers are set). Buffered: a streamed body is
 * collected, up to the platform's limit. Streaming: written as is, where `isBase64Encoded` means nothing, so binary bodies (files,
 * exec/binary) go out as their bytes, not as base64 text.
 */
async function forDeployment(response: ApiResponse, streaming = false): Promise<ApiResponse> {
  if (!streaming) {
    return typeof response.body === 'string' ? response : bufferBody({ ...response, body: response.body });
  }
  if (!response.isBase64Encoded) return response;
  const { isBase64Encoded: _encoded, ...rest } = response;
  if (typeof response.body !== 'string') return rest;
  return { ...rest, body: Readable.from([Buffer.from(response.body, 'base64')]) };
}

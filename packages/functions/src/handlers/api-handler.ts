import { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { METRIC, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import type { ApiEvent } from '../http/api-event.js';
import { bufferBody } from '../http/buffered-body.js';
import type { ApiResponse } from '../http/responses.js';
import { Router } from '../http/router.js';
import { authenticate } from '../middleware/authenticate.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { errorResponseMiddleware } from '../middleware/error-response.js';
import { createObservability, type Observability } from '../observability.js';
import { egressRoutes } from '../routes/egress.js';
import { execRoutes } from '../routes/exec.js';
import { executeRoutes } from '../routes/execute.js';
import { fileRoutes } from '../routes/files.js';
import { serviceRoutes } from '../routes/service.js';
import { workspaceRoutes } from '../routes/workspaces.js';
import { handlerDeps } from './lazy.js';

export interface ApiHandlerOptions {
  /**
   * Response streaming (Lambda function URL with `streamifyResponse`, and the local host): SSE bodies flow
   * as produced, and byte bodies (files) go out raw with their length. Without it (HTTP API), a streamed
   * body is collected up to the platform's response limit and sent whole; past it the answer is a 413.
   */
  streaming?: boolean;
  maxBodyBytes?: number;
  observability?: Observability;
}

/**
 * The public HTTP API (API.md) as one Lambda handler: API Gateway v2 event in, route → core service,
 * response out. Middlewares, in order: Lambda context into logs, EMF metrics, errors in API.md's shape,
 * body limit, API key → tenant.
 */
export function createApiHandler(getDeps: DepsProvider, opts: ApiHandlerOptions = {}) {
  const { logger, metrics } = opts.observability ?? createObservability(SERVICE.api);
  const deps = handlerDeps(getDeps, { logger, metrics });
  const router = new Router([
    ...serviceRoutes,
    ...workspaceRoutes(logger),
    ...execRoutes,
    ...executeRoutes,
    ...fileRoutes,
    ...egressRoutes,
  ]);
  const isPublic = (event: ApiEvent) => {
    try {
      return router.match(event).route.auth === false;
    } catch {
      return false; // unknown routes still need a key: 401 before 404 reveals nothing
    }
  };

  const handle = async (event: ApiEvent): Promise<ApiResponse> => {
    const started = performance.now();
    const { route, params } = router.match(event);
    if (params.id) logger.appendKeys({ workspaceId: params.id });
    const response = await route.handle({ event, deps: await deps(), params });
    metrics.addMetric(METRIC.ApiRequests, MetricUnit.Count, 1);
    metrics.addMetric(METRIC.ApiLatency, MetricUnit.Milliseconds, performance.now() - started);
    if (!opts.streaming && typeof response.body !== 'string') {
      return bufferBody({ ...response, body: response.body });
    }
    if (opts.streaming && response.isBase64Encoded) {
      // A streamed response is written as is: `isBase64Encoded` means nothing to it, so binary bodies
      // (files, exec/binary) must go out as their bytes, not as base64 text.
      const { isBase64Encoded: _encoded, ...rest } = response;
      if (typeof response.body !== 'string') return rest;
      return { ...rest, body: Readable.from([Buffer.from(response.body, 'base64')]) };
    }
    return response;
  };

  return middy<ApiEvent, ApiResponse>({ streamifyResponse: opts.streaming ?? false })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(errorResponseMiddleware(logger, metrics))
    .use(bodyLimit(opts.maxBodyBytes ?? 6 * 1024 * 1024))
    .use(authenticate(async () => (await deps()).tenants, logger, isPublic))
    .handler(handle);
}

import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { isApiError, METRIC } from '@berth/core';
import { requestIdOf, type ApiEvent } from '../http/api-event.js';
import { errorResponse, type ApiResponse } from '../http/responses.js';

/**
 * Every error becomes API.md's shape. A ApiError keeps its code and status; anything else is a bug: it is
 * logged with its stack and the client gets a bare 500 with the request id to quote.
 */
export const errorResponseMiddleware = (
  logger: Logger,
  metrics: Metrics,
): MiddlewareObj<ApiEvent, ApiResponse> => ({
  onError: async (request) => {
    const e = request.error;
    const requestId = requestIdOf(request.event);
    metrics.addMetric(
      isApiError(e) && e.status < 500 ? METRIC.ApiClientErrors : METRIC.ApiServerErrors,
      MetricUnit.Count,
      1,
    );
    if (isApiError(e)) {
      if (e.status >= 500) logger.error('request failed', { code: e.code, error: e });
      else logger.info('request refused', { code: e.code, status: e.status, reason: e.message });
      request.response = errorResponse(e.status, e.code, e.message, requestId, e.details.retryAfterSeconds);
      return;
    }
    logger.error('unhandled error', { error: e as Error });
    request.response = errorResponse(
      500,
      'internal',
      'internal error; quote the requestId when reporting it',
      requestId,
    );
  },
});

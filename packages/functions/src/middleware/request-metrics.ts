import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { METRIC } from '@berth/core';
import type { ApiEvent } from '../http/api-event.js';
import type { ApiResponse } from '../http/responses.js';

/**
 * `ApiRequests` and `ApiLatency` for every request, answered or refused (errors are also counted by class in
 * `ApiClientErrors` / `ApiServerErrors`, see error-response.ts). Keyed by event: the local host runs
 * requests concurrently on one handler.
 */
export const requestMetrics = (metrics: Metrics): MiddlewareObj<ApiEvent, ApiResponse> => {
  const started = new WeakMap<ApiEvent, number>();
  const record = async ({ event }: { event: ApiEvent }) => {
    metrics.addMetric(METRIC.ApiRequests, MetricUnit.Count, 1);
    const t = started.get(event);
    if (t !== undefined) metrics.addMetric(METRIC.ApiLatency, MetricUnit.Milliseconds, performance.now() - t);
  };
  return {
    before: async ({ event }) => void started.set(event, performance.now()),
    after: record,
    onError: record,
  };
};

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { refillPool, SERVICE, type RefillReport } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/**
 * The warm pools' refill (core/pool/refill.ts), on schedule and when the API asks after a claim or a miss:
 * drains stale and surplus members, starts new ones. Each run logs what it found and did, per template.
 */
export function createPoolRefillHandler(getDeps: DepsProvider, observability?: HandlerObservability) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.poolRefill);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<unknown, RefillReport>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const report = await refillPool(await deps());
      logger.info('pool refill done', { templates: report.templates });
      return report;
    });
}

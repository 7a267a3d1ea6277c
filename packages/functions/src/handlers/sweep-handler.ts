import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { sweep, type SweepReport, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/** The scheduled sweep: expiry, stuck states, orphans (core/services/sweep.ts). */
export function createSweepHandler(getDeps: DepsProvider, observability?: HandlerObservability) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.sweep);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<unknown, SweepReport>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => sweep(await deps()));
}

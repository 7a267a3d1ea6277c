import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import {
  METRIC,
  PROVISION_STEP_FUNCTIONS,
  SERVICE,
  type ProvisionState,
  type ProvisionStepName,
} from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/**
 * One provisioning state machine step as a Lambda: state in, state out. A thrown error's `name` is the
 * error the state machine's Retry and Catch match on.
 */
export function createProvisionStepHandler(
  step: ProvisionStepName,
  getDeps: DepsProvider,
  observability?: HandlerObservability,
) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.provision);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<ProvisionState, ProvisionState>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (state) => {
      logger.appendKeys({ workspaceId: state.workspaceId, step });
      metrics.addMetric(METRIC.ProvisionStepRuns, MetricUnit.Count, 1);
      return PROVISION_STEP_FUNCTIONS[step](await deps(), state);
    });
}

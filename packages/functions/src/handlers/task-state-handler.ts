import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseEcsTaskStateChange, type EcsTaskStateChangeEvent, type EcsTaskStateOptions } from '@berth/aws';
import { onTaskStopped, type TaskStopped, METRIC, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/**
 * A stopped task → workspace state: a task that stops under a live workspace fails it with the reason. The
 * event is already the core's TaskStopped; each runtime's adapter made it (see createTaskStateHandler).
 */
export function createTaskStoppedHandler(getDeps: DepsProvider, observability?: HandlerObservability) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.taskState);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<TaskStopped | null, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (stopped) => {
      metrics.addMetric(METRIC.TaskStateEvents, MetricUnit.Count, 1);
      if (!stopped) return;
      logger.appendKeys({ workspaceId: stopped.workspaceId ?? undefined, taskRef: stopped.taskRef });
      await onTaskStopped(await deps(), stopped);
    });
}

/** The Lambda on EventBridge's "ECS Task State Change": packages/aws reads the event, the core decides. */
export function createTaskStateHandler(
  getDeps: DepsProvider,
  observability?: HandlerObservability,
  ecs: EcsTaskStateOptions = {},
) {
  const handler = createTaskStoppedHandler(getDeps, observability);
  return middy<EcsTaskStateChangeEvent, void>().handler((event, context) =>
    handler(parseEcsTaskStateChange(event, ecs), context),
  );
}

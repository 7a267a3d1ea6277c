import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { onTaskStopped, type TaskStoppedEvent, METRIC, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type Observability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/** The part of EventBridge's "ECS Task State Change" event we read (the local host emits the same shape). */
export interface TaskStateChangeEvent {
  'detail-type': string;
  source: string;
  detail: {
    taskArn: string;
    lastStatus: string;
    /** RunTask's `startedBy`: Berth puts the workspace id there (ECS events carry no tags). */
    startedBy?: string;
    stoppedReason?: string;
    stopCode?: string;
    containers?: { name: string; exitCode?: number; reason?: string }[];
  };
}

/** Reads an ECS task-state event; null for anything but a stop. */
export function toTaskStoppedEvent(event: TaskStateChangeEvent): TaskStoppedEvent | null {
  const d = event.detail;
  if (d.lastStatus !== 'STOPPED') return null;
  const agent = d.containers?.find((c) => c.name === 'workspace') ?? d.containers?.[0];
  return {
    taskRef: d.taskArn,
    workspaceId: d.startedBy ?? null,
    oomKilled: (d.containers ?? []).some((c) => /OutOfMemory/i.test(c.reason ?? '')),
    exitCode: agent?.exitCode ?? null,
    stoppedReason: d.stoppedReason ?? agent?.reason ?? null,
  };
}

/** EventBridge → workspace state: a task that stops under a live workspace fails it with the reason. */
export function createTaskStateHandler(getDeps: DepsProvider, observability?: Observability) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.taskState);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<TaskStateChangeEvent, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      metrics.addMetric(METRIC.TaskStateEvents, MetricUnit.Count, 1);
      const stopped = toTaskStoppedEvent(event);
      if (!stopped) return;
      logger.appendKeys({ workspaceId: stopped.workspaceId ?? undefined, taskRef: stopped.taskRef });
      await onTaskStopped(await deps(), stopped);
    });
}

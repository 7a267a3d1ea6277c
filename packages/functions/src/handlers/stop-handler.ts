import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { MalformedStopMessage, parseStopMessage } from '@berth/aws';
import { finishHandOver, SERVICE } from '@berth/core';
import type { DepsProvider } from '../app-deps.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { handlerDeps } from './lazy.js';

/**
 * The stop worker on the stop queue (core's Stopper port, deployed): each message finishes one stop that the
 * API or the sweep began — files saved, container stopped, record ended — or a pause began on ECS (files saved,
 * task stopped, record paused): core finishHandOver reads which from the record. A hand-over that fails
 * is reported back alone (partial batch response) for the queue to deliver again, then to its dead-letter
 * queue; a message that is not a stop is dropped with an error log, since no retry could make it one.
 */
export function createStopHandler(getDeps: DepsProvider, observability?: HandlerObservability) {
  const { logger, metrics } = observability ?? createObservability(SERVICE.stop);
  const deps = handlerDeps(getDeps, { logger, metrics });
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
      for (const message of event.Records) {
        try {
          const stop = parseStopMessage(message.body);
          logger.appendKeys({ workspaceId: stop.workspaceId, tenantId: stop.tenantId });
          const ended = await finishHandOver(await deps(), stop.workspaceId);
          logger.info('hand-over finished', {
            status: ended.status,
            terminationReason: ended.terminationReason,
          });
        } catch (e) {
          if (e instanceof MalformedStopMessage) {
            logger.error('not a stop message: dropped', { messageId: message.messageId, error: e.message });
            continue;
          }
          logger.error('stop failed: to be delivered again', {
            messageId: message.messageId,
            error: e as Error,
          });
          batchItemFailures.push({ itemIdentifier: message.messageId });
        } finally {
          logger.removeKeys(['workspaceId', 'tenantId']);
        }
      }
      return { batchItemFailures };
    });
}

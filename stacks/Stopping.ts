import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { StackContext } from 'sst/constructs';
import { berthFunction } from './lambda-function.js';
import { suppressSstInternals } from './nag-suppressions.js';
import { deadLetterQueue } from './Observability.js';

/** A stop saves the workspace's files first: gigabytes take minutes, as long as a Lambda may run. */
export const STOP_WORKER_TIMEOUT = Duration.minutes(15);
/** Deliveries of one stop before it goes to the dead-letter queue (the sweep ends it past its deadline). */
export const STOP_MAX_RECEIVES = 3;

/**
 * The way down, off the request path: the API (delete) and the sweep (expiry) move a workspace to `stopping`
 * and queue its stop (core's Stopper port); the stop worker saves its files to S3, stops its task and ends its
 * record (core finishStop). So a delete answers 202 at once, however large the workspace (API Gateway would
 * cut a snapshot upload off at 29 s), and the sweep never writes the bucket. A stop that keeps failing lands
 * in the dead-letter queue, which Observability alarms on.
 */
export function Stopping({ stack }: StackContext) {
  suppressSstInternals(stack);
  const deadLetters = deadLetterQueue(stack, 'StopDeadLetters', 'the stop queue');
  const queue = new sqs.Queue(stack, 'StopQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // AWS's advice for a Lambda event source: six times the function's timeout, so a slow stop is not
    // delivered to a second worker while the first still saves.
    visibilityTimeout: Duration.seconds(6 * STOP_WORKER_TIMEOUT.toSeconds()),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: STOP_MAX_RECEIVES },
  });

  const worker = berthFunction(stack, 'StopWorker', 'workspace-stop', {
    timeout: STOP_WORKER_TIMEOUT.toSeconds(),
  });
  // One stop per invocation; a failure is reported per message (the handler's batchItemFailures).
  worker.addEventSource(new SqsEventSource(queue, { batchSize: 1, reportBatchItemFailures: true }));
  return { queue, deadLetters, worker };
}

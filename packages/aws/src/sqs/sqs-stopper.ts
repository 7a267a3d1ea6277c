import { SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { StopRequest, Stopper } from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';
import { stopMessageBody } from './stop-message.js';

export interface SqsStopperOptions {
  queueUrl: string;
  client?: SQSClient;
  clientConfig?: SQSClientConfig;
}

/**
 * {@link Stopper} that queues the stop for the stop worker, which saves the workspace's files and stops its
 * container. The API answers a delete as soon as SendMessage returns instead of waiting for the snapshot
 * upload. A duplicate delivery is harmless: finishing a stop twice does nothing.
 */
export class SqsStopper implements Stopper {
  private readonly sqs: SQSClient;

  constructor(private readonly opts: SqsStopperOptions) {
    this.sqs = opts.client ?? new SQSClient(withSdkTimeouts(opts.clientConfig ?? {}, 'sqs'));
  }

  async handOver(stop: StopRequest): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.opts.queueUrl, MessageBody: stopMessageBody(stop) }),
    );
  }
}

import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { SqsStopper } from '@berth/aws';
import { localClientConfig } from '@berth/aws/local';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWorkspace } from '../../core/test/support/make-deps.js';
import { snapshotFiles } from '../../core/test/support/tar-files.js';
import { useFauxqs } from '../../aws/test/support/fauxqs.js';
import { createStopHandler } from '../src/handlers/stop-handler.js';
import { lambdaContext } from './support/api-event.js';
import { makeApi, quietObservability } from './support/app.js';

/**
 * A delete as deployed: the API handler hands the stop to a real SQS queue (fauxqs) and answers at once; the
 * stop worker, given the message the queue delivers, saves the files, stops the task and ends the record.
 */
const fauxqs = useFauxqs();
let sqs: SQSClient;
beforeAll(() => {
  sqs = new SQSClient(localClientConfig(fauxqs.endpoint));
});
afterAll(() => sqs?.destroy());

async function freshQueue(): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `berth-stops-${randomBytes(6).toString('hex')}` }),
  );
  return QueueUrl!;
}

async function receive(queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
  );
  return Messages;
}

/** What Lambda's SQS event source hands the function for these messages. */
const sqsEvent = (queueUrl: string, messages: { messageId: string; body: string }[]): SQSEvent => ({
  Records: messages.map(
    (m): SQSRecord => ({
      messageId: m.messageId,
      receiptHandle: 'handle',
      body: m.body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AROAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
      awsRegion: 'us-east-1',
    }),
  ),
});

describe('the stop worker behind the stop queue', () => {
  it('a delete answers 202 stopping; the queued stop saves the files and ends the workspace', async () => {
    const queueUrl = await freshQueue();
    const api = makeApi();
    api.deps.stopper = new SqsStopper({ queueUrl, clientConfig: localClientConfig(fauxqs.endpoint) });
    const ws = seedWorkspace(api.deps, { tenantId: 'tenantA' });
    api.deps.workspaceAgent.filesOf(ws.endpoint!).set('notes.md', Buffer.from('saved by the worker'));

    const res = await api.call('DELETE', `/v1/workspaces/${ws.id}`);
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({ id: ws.id, status: 'stopping', terminationReason: 'deleted' });
    expect(api.deps.workspaceAgent.callsOf('archiveOut')).toHaveLength(0);

    const messages = await receive(queueUrl);
    expect(messages).toHaveLength(1);
    const worker = createStopHandler(() => api.deps, quietObservability());
    const event = sqsEvent(queueUrl, [{ messageId: messages[0]!.MessageId!, body: messages[0]!.Body! }]);
    expect(await worker(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: messages[0]!.ReceiptHandle! }),
    );

    expect(api.deps.store.peek(ws.id)).toMatchObject({ status: 'stopped', terminationReason: 'deleted' });
    expect(api.deps.runtime.tasks.get(ws.taskRef!)?.state).toBe('stopped');
    expect(await snapshotFiles(api.deps.blobs, 'tenantA', ws.conversationId)).toEqual({
      'notes.md': Buffer.from('saved by the worker').toString('base64'),
    });
    // The same stop delivered again (at least once) changes nothing.
    const stops = api.deps.runtime.callsOf('stop').length;
    expect(await worker(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(api.deps.runtime.callsOf('stop')).toHaveLength(stops);
  });

  it('reports only the failed stop for redelivery, and drops what is not a stop', async () => {
    const api = makeApi();
    const good = seedWorkspace(api.deps, { status: 'stopping', terminationReason: 'expired' });
    const broken = seedWorkspace(api.deps, { status: 'stopping', terminationReason: 'deleted' });
    const stop = api.deps.runtime.stop.bind(api.deps.runtime);
    api.deps.runtime.stop = async (ref, reason) => {
      if (ref === broken.taskRef) throw new Error('ECS unavailable');
      return stop(ref, reason);
    };
    const body = (id: string) => JSON.stringify({ v: 1, workspaceId: id, tenantId: 't1' });
    const worker = createStopHandler(() => api.deps, quietObservability());
    const answer = await worker(
      sqsEvent('https://q/stops', [
        { messageId: 'm-good', body: body(good.id) },
        { messageId: 'm-broken', body: body(broken.id) },
        { messageId: 'm-junk', body: '{"hello":"world"}' },
      ]),
      lambdaContext(),
    );
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-broken' }] });
    expect(api.deps.store.peek(good.id)).toMatchObject({ status: 'stopped', terminationReason: 'expired' });
  });
});

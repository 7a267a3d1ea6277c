import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { StopRequest } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../src/local/local-aws-config.js';
import { SqsStopper } from '../../src/sqs/sqs-stopper.js';
import { parseStopMessage } from '../../src/sqs/stop-message.js';
import { useFauxqs } from '../support/fauxqs.js';

const fauxqs = useFauxqs();
let client: SQSClient;

beforeAll(() => {
  client = new SQSClient(localClientConfig(fauxqs.endpoint));
});
afterAll(() => client?.destroy());

/** A new, empty queue with a random name; its URL. */
async function freshQueue(): Promise<string> {
  const name = `berth-test-${randomBytes(6).toString('hex')}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  return QueueUrl;
}

/** One ReceiveMessage, waiting up to `waitSeconds`; the parsed bodies. */
async function receiveOnce(queueUrl: string, waitSeconds: number): Promise<StopRequest[]> {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );
  return Messages.map((m) => parseStopMessage(m.Body ?? ''));
}

/** Receives until `count` messages have arrived (or a few seconds have passed), then once more: all of them. */
async function receive(queueUrl: string, count: number): Promise<StopRequest[]> {
  const got: StopRequest[] = [];
  const deadline = Date.now() + 3_000;
  while (got.length < count && Date.now() < deadline) got.push(...(await receiveOnce(queueUrl, 1)));
  // Anything beyond `count` is already queued; no need to wait for it.
  got.push(...(await receiveOnce(queueUrl, 0)));
  return got;
}

const stop = (n: number): StopRequest => ({
  workspaceId: `ws_${n}${randomBytes(4).toString('hex')}`,
  tenantId: 'tenant-a',
});

describe('SqsStopper', () => {
  it('queues a stop the worker reads back as the same request', async () => {
    const queueUrl = await freshQueue();
    const request = stop(1);
    await new SqsStopper({ queueUrl, client }).handOver(request);
    expect(await receive(queueUrl, 1)).toEqual([request]);
  });

  it('queues one message per hand-over', async () => {
    const queueUrl = await freshQueue();
    const stopper = new SqsStopper({ queueUrl, client });
    const [a, b] = [stop(1), stop(2)];
    await stopper.handOver(a);
    await stopper.handOver(b);
    const got = await receive(queueUrl, 2);
    expect(got).toHaveLength(2);
    expect(got).toEqual(expect.arrayContaining([a, b]));
  });

  it('builds its own client from a client config', async () => {
    const queueUrl = await freshQueue();
    const request = stop(3);
    await new SqsStopper({ queueUrl, clientConfig: localClientConfig(fauxqs.endpoint) }).handOver(request);
    expect(await receive(queueUrl, 1)).toEqual([request]);
  });

  it('rejects, promptly, when the queue does not exist', async () => {
    const queueUrl = `${fauxqs.endpoint}/000000000000/berth-test-missing-${randomBytes(6).toString('hex')}`;
    const stopper = new SqsStopper({ queueUrl, clientConfig: localClientConfig(fauxqs.endpoint) });
    const started = Date.now();
    await expect(stopper.handOver(stop(4))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

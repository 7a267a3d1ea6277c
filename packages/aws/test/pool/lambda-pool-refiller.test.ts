import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaPoolRefiller, POOL_REFILL_REQUEST } from '../../src/pool/lambda-pool-refiller.js';

const FUNCTION = 'berth-test-pool-refill';

// Lambda has no local stand-in: the invoke is mocked with the service's answer to an asynchronous invoke.
describe('LambdaPoolRefiller', () => {
  const lambda = mockClient(LambdaClient);
  afterEach(() => lambda.reset());
  const refiller = () =>
    new LambdaPoolRefiller({ functionName: FUNCTION, clientConfig: { region: 'us-east-1' } });

  it('invokes the refill function asynchronously (Event), saying it was asked for', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await refiller().request();
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'Event' });
    expect(JSON.parse(String(input.Payload))).toEqual(POOL_REFILL_REQUEST);
  });

  it('rejects when the invoke fails (the caller logs it; the schedule refills anyway)', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(
        new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
      );
    await expect(refiller().request()).rejects.toThrow(/Rate exceeded/);
  });
});

import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SDK_TIMEOUTS, isAwsUnavailable, withSdkTimeouts } from '@berth/aws';

describe('SDK timeouts', () => {
  it('are set where the caller sets none, and the caller’s own win', async () => {
    expect(withSdkTimeouts({ region: 'x' }, 'dynamodb')).toEqual({
      region: 'x',
      maxAttempts: 3,
      requestHandler: SDK_TIMEOUTS.dynamodb,
    });
    expect(withSdkTimeouts({ maxAttempts: 1, requestHandler: { requestTimeout: 5 } }, 's3')).toEqual({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 5 },
    });
    // The SDK takes the options as they are (no unknown-option error), and keeps them.
    const client = new DynamoDBClient(withSdkTimeouts({ region: 'us-east-1' }, 'dynamodb'));
    expect(await client.config.maxAttempts()).toBe(3);
    client.destroy();
  });
});

describe('isAwsUnavailable', () => {
  it.each([
    Object.assign(new Error('socket'), { name: 'TimeoutError' }),
    Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('throttled'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    }),
    Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
    Object.assign(new Error('odd'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }),
  ])('%s is unavailable (503)', (e) => expect(isAwsUnavailable(e)).toBe(true));

  it.each([
    new ConditionalCheckFailedException({ message: 'no', $metadata: { httpStatusCode: 400 } }),
    Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
    new Error('plain'),
    null,
    'text',
  ])('%s is not', (e) => expect(isAwsUnavailable(e)).toBe(false));
});

import type * as LambdaSdk from '@aws-sdk/client-lambda';
import type { PoolRefiller } from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';

export interface LambdaPoolRefillerOptions {
  /** Name or ARN of the refill function (functions/src/lambda/pool-refill.ts). */
  functionName: string;
  client?: LambdaSdk.LambdaClient;
  clientConfig?: LambdaSdk.LambdaClientConfig;
}

/** What the refill function is sent (the schedule sends its own event), so its log tells the two apart. */
export const POOL_REFILL_REQUEST = { source: 'berth.pool', detail: 'refill requested' } as const;

/**
 * {@link PoolRefiller} deployed: an asynchronous invoke of the refill function (InvocationType `Event`),
 * answered once Lambda has queued it, so a claim or a miss never waits for a refill. A failed invoke rejects;
 * the caller logs it, and the schedule refills within a minute anyway. The Lambda client is loaded by the
 * first request, not on the API function's cold start: most requests never ask for a refill.
 */
export class LambdaPoolRefiller implements PoolRefiller {
  private lambda?: Promise<{ sdk: typeof LambdaSdk; client: LambdaSdk.LambdaClient }>;

  constructor(private readonly opts: LambdaPoolRefillerOptions) {}

  async request(): Promise<void> {
    this.lambda ??= import('@aws-sdk/client-lambda').then((sdk) => ({
      sdk,
      client:
        this.opts.client ?? new sdk.LambdaClient(withSdkTimeouts(this.opts.clientConfig ?? {}, 'lambda')),
    }));
    const { sdk, client } = await this.lambda;
    await client.send(
      new sdk.InvokeCommand({
        FunctionName: this.opts.functionName,
        InvocationType: 'Event',
        Payload: JSON.stringify(POOL_REFILL_REQUEST),
      }),
    );
  }
}

import { DynamoDBClient, GetItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type StartGate } from '@berth/core';
import { withSdkTimeouts } from '../client-timeouts.js';

export interface DynamoStartBacklogOptions {
  tableName: string;
  /** A configured client; when absent one is built from `clientConfig` (region, endpoint, credentials). */
  client?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  /** Starts per second over every function, sustained. Default 5. */
  ratePerSecond?: number;
  /** Starts let through at once after a quiet spell. Default 10. */
  burst?: number;
  clock?: Clock;
}

/** The RunTask token bucket's item in the Berth table (no index key: no query ever lists it). */
export const START_GATE_KEY = { pk: 'RATE#runtask', sk: 'RATE' } as const;

/** A DynamoDB key of the bucket's partition. */
export const bucketKey = (key: { pk: string; sk: string }) => ({ pk: { S: key.pk }, sk: { S: key.sk } });

/**
 * The RunTask token bucket (see {@link DynamoStartGate}) as the functions that never start a task see it:
 * how booked it is, for admission, without the booking code in their bundles (the API's).
 */
export class DynamoStartBacklog implements StartGate {
  protected readonly client: DynamoDBClient;
  protected readonly table: string;
  /** One slot's length, ms (1 / rate). */
  protected readonly intervalMs: number;
  protected readonly burst: number;
  protected readonly clock: Clock;

  constructor(opts: DynamoStartBacklogOptions) {
    this.table = opts.tableName;
    this.client = opts.client ?? new DynamoDBClient(withSdkTimeouts(opts.clientConfig ?? {}, 'dynamodb'));
    const rate = opts.ratePerSecond ?? 5;
    this.burst = opts.burst ?? 10;
    if (!(rate > 0) || !(this.burst >= 1))
      throw new Error('RunTask token bucket: rate must be > 0, burst ≥ 1');
    this.intervalMs = 1000 / rate;
    this.clock = opts.clock ?? systemClock;
  }

  /** Refused: only the StartContainer step takes turns ({@link DynamoStartGate}). */
  enter(workspaceId: string): Promise<() => void> {
    return Promise.reject(new Error(`this function does not start tasks (workspace ${workspaceId})`));
  }

  /** How long a start booked now would wait for its slot: how far the book runs past the burst. */
  async backlogMs(): Promise<number> {
    const tat = (await this.readTat()) ?? 0;
    const now = this.clock.now();
    return Math.max(0, Math.max(tat, now) + this.intervalMs - this.burst * this.intervalMs - now);
  }

  /** The bucket's theoretical arrival time (one consistent read); undefined before its first booking. */
  protected async readTat(): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: bucketKey(START_GATE_KEY), ConsistentRead: true }),
    );
    return Item?.tat?.N === undefined ? undefined : Number(Item.tat.N);
  }
}

import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { METRIC, type ServiceMetrics } from '@berth/core';
import { ATTR } from '../dynamodb/table-keys.js';
import {
  DynamoStartBacklog,
  START_GATE_KEY,
  bucketKey,
  type DynamoStartBacklogOptions,
} from './dynamo-start-backlog.js';

export interface DynamoStartGateOptions extends DynamoStartBacklogOptions {
  /** The longest `enter` sleeps for its slot inside the step; a slot further off throws `Throttled`. Default 5 s. */
  maxStepWaitMs?: number;
  /**
   * How far ahead a slot may be booked (and held for the start's retry); a start that would wait longer books
   * nothing and throws `Throttled` at once. Default 30 s: past admission's 20 s (`admission.maxStartWaitMs`),
   * which refuses new creates before the book runs that far ahead.
   */
  maxBookAheadMs?: number;
  /** Counts `RunTaskThrottled`: each start that found the bucket empty (it waits, or retries). */
  metrics?: Pick<ServiceMetrics, 'count'>;
  /** For tests: how a step waits for its slot. */
  sleep?: (ms: number) => Promise<void>;
}

/** A slot held for a start told to retry: same partition, one item per workspace, gone by TTL. */
export const heldSlotKey = (workspaceId: string) => ({ pk: START_GATE_KEY.pk, sk: `HELD#${workspaceId}` });

/** A start whose slot is too far off: the provisioning state machine retries `Throttled` with backoff. */
export class StartThrottled extends Error {
  override name = 'Throttled';
  constructor(readonly waitMs: number) {
    super(`RunTask token bucket: this start's turn is ${Math.ceil(waitMs)} ms away; retry`);
  }
}

/** A held slot this far in the past belongs to a start that gave up: its workspace books anew. */
const HELD_EXPIRY_MS = 10 * 60_000;
/** Rounds of booking lost to a concurrent first booking after a quiet spell (one round settles it). */
const BOOKING_ATTEMPTS = 10;

/**
 * {@link StartGate} deployed: the RunTask token bucket every function shares, one item of the Berth table,
 * kept with the generic cell rate algorithm. The item holds the theoretical arrival time `tat`; a start books
 * the next slot by moving it on by 1/rate (from now, if the bucket had refilled), and its slot is
 * `tat - burst/rate`. So starts go in the order they booked, first come first served, and no stretch of time
 * admits more than `burst + rate × its length`.
 *
 * A booking is one conditional UpdateItem, conditional on what the bucket holds rather than on a revision
 * read before: `tat` moves on atomically while it is ahead of now (and within how far ahead slots may be
 * booked), and is set to now + 1/rate only while it is behind. Concurrent starts therefore never make each
 * other write again, however many arrive at once; only the first booking after a quiet spell can race
 * another, and the loser books again on the item as it then is.
 *
 * A slot within `maxStepWaitMs` is slept for in the step. One further off is held for the workspace (an item
 * of its own) and the step throws `Throttled`: the state machine's retry goes at the held slot without booking
 * another, so the book counts every start that is waiting, and `backlogMs`, which admission refuses on, sees
 * them all.
 */
export class DynamoStartGate extends DynamoStartBacklog {
  private readonly maxStepWaitMs: number;
  private readonly maxBookAheadMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: DynamoStartGateOptions) {
    super(opts);
    this.maxStepWaitMs = opts.maxStepWaitMs ?? 5_000;
    this.maxBookAheadMs = Math.max(this.maxStepWaitMs, opts.maxBookAheadMs ?? 30_000);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  override async enter(workspaceId: string): Promise<() => void> {
    const held = await this.heldSlot(workspaceId);
    let slot: number;
    if (held !== undefined) {
      // A retry of a start told to wait: its slot was booked then.
      slot = held;
      if (slot - this.clock.now() > this.maxStepWaitMs) throw new StartThrottled(slot - this.clock.now());
      await this.client.send(
        new DeleteItemCommand({ TableName: this.table, Key: bucketKey(heldSlotKey(workspaceId)) }),
      );
    } else {
      const booked = await this.book();
      if (typeof booked !== 'number') {
        this.opts.metrics?.count(METRIC.RunTaskThrottled);
        throw new StartThrottled(booked.refusedMs);
      }
      slot = booked;
      if (slot > this.clock.now()) this.opts.metrics?.count(METRIC.RunTaskThrottled);
      if (slot - this.clock.now() > this.maxStepWaitMs) {
        await this.hold(workspaceId, slot);
        throw new StartThrottled(slot - this.clock.now());
      }
    }
    const wait = slot - this.clock.now();
    if (wait > 0) await this.sleep(wait);
    // A token bucket has nothing to give back: the slot was spent by going.
    return () => {};
  }

  /** Books the next slot and answers it, or how far off it would be when that is past the book-ahead bound. */
  private async book(): Promise<number | { refusedMs: number }> {
    const t = this.intervalMs;
    for (let attempt = 1; attempt <= BOOKING_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      // The latest `tat` that still yields a slot within the book-ahead bound once moved on by one interval.
      const limit = now + this.maxBookAheadMs + (this.burst - 1) * t;
      // The bucket is booked ahead of now: move its end on by one interval, whatever it is exactly.
      const ahead = await this.update(
        'SET #tat = #tat + :t ADD #booked :one',
        '#tat >= :now AND #tat <= :limit',
        { ':t': num(t), ':now': num(now), ':limit': num(limit), ':one': num(1) },
      );
      if (typeof ahead === 'number') return ahead - this.burst * t;
      const seen = ahead.tat ?? (await this.readTat());
      if (seen !== undefined && seen > limit) return { refusedMs: seen + t - this.burst * t - now };
      if (seen !== undefined && seen >= now) continue; // moved ahead meanwhile: book ahead
      // The bucket has refilled (or was never used): the booking starts from now.
      const fresh = await this.update(
        'SET #tat = :next ADD #booked :one',
        'attribute_not_exists(#tat) OR #tat < :now',
        { ':next': num(now + t), ':now': num(now), ':one': num(1) },
      );
      if (typeof fresh === 'number') return fresh - this.burst * t;
      // Another start booked first from its own now: book after it.
    }
    return { refusedMs: t };
  }

  /** One conditional UpdateItem of the bucket: the new `tat`, or the `tat` it found when its condition failed. */
  private async update(
    expression: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<number | { tat: number | undefined }> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: bucketKey(START_GATE_KEY),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#tat': 'tat', '#booked': 'booked' },
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Number(Attributes!.tat!.N);
    } catch (e) {
      const err = e as { name?: string; Item?: Record<string, AttributeValue> };
      if (err.name !== 'ConditionalCheckFailedException') throw e;
      return { tat: err.Item?.tat?.N === undefined ? undefined : Number(err.Item.tat.N) };
    }
  }

  private async heldSlot(workspaceId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: bucketKey(heldSlotKey(workspaceId)),
        ConsistentRead: true,
      }),
    );
    const slot = Item?.slot?.N === undefined ? undefined : Number(Item.slot.N);
    return slot !== undefined && slot > this.clock.now() - HELD_EXPIRY_MS ? slot : undefined;
  }

  private async hold(workspaceId: string, slot: number) {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...bucketKey(heldSlotKey(workspaceId)),
          slot: num(slot),
          // TTL (epoch seconds) clears what a start that gave up left behind.
          [ATTR.ttl]: num(Math.ceil((slot + HELD_EXPIRY_MS) / 1000)),
        },
      }),
    );
  }
}

const num = (n: number): AttributeValue => ({ N: String(n) });

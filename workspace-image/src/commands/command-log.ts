import type { CommandLogEvent } from '@berth/protocol';

/** What a reader gets: a `gap` first when events it had not read were dropped, then the events kept. */
export interface LogRead {
  events: CommandLogEvent[];
  /** The id to read after next time. */
  next: number;
}

interface Kept {
  event: CommandLogEvent;
  bytes: number;
}

/**
 * A command's events, numbered from 1 in the order they happened, kept up to `maxBytes` of output for
 * readers that come later (a reattach after a dropped connection, a restarted control plane). Past that the
 * oldest are dropped first; a reader asking for events that were dropped gets one `gap` event saying how many
 * events and bytes it lost, never a silent hole. Readers following live are called for each new event.
 */
export class CommandLog {
  private readonly kept: Kept[] = [];
  private keptBytes = 0;
  private nextId = 1;
  /** Dropped so far: every id up to `droppedThrough`, and their bytes. */
  private droppedThrough = 0;
  private droppedBytes = 0;
  /**
   * Bytes dropped through each of the last dropped ids (`droppedSince` + index): a reader's exact loss. Bounded;
   * a reader further behind is told all that was dropped, an upper bound.
   */
  private readonly droppedAt: number[] = [];
  private droppedSince = 1;
  private readonly followers = new Set<(e: CommandLogEvent) => void>();

  constructor(private readonly maxBytes: number) {}

  /** Adds an event; `bytes` is its output's size (0 for `exit`). */
  append(event: Omit<CommandLogEvent, 'id'>, bytes: number): CommandLogEvent {
    const logged = { ...event, id: this.nextId++ } as CommandLogEvent;
    this.kept.push({ event: logged, bytes });
    this.keptBytes += bytes;
    // The newest event stays whatever its size: the exit, at least, is always there to be read.
    while (this.keptBytes > this.maxBytes && this.kept.length > 1) {
      const dropped = this.kept.shift()!;
      this.keptBytes -= dropped.bytes;
      this.droppedThrough = dropped.event.id;
      this.droppedBytes += dropped.bytes;
      this.droppedAt.push(this.droppedBytes);
      if (this.droppedAt.length > DROPPED_KEPT) {
        this.droppedAt.shift();
        this.droppedSince++;
      }
    }
    for (const follow of this.followers) follow(logged);
    return logged;
  }

  /** The events after `after` still kept, a `gap` first when some after it were dropped. */
  readAfter(after: number): LogRead {
    const events: CommandLogEvent[] = [];
    if (after < this.droppedThrough) events.push(this.gap(after));
    // Kept ids are consecutive from droppedThrough + 1: the first one after `after` is found by position.
    const from = Math.max(0, after - this.droppedThrough);
    for (let i = from; i < this.kept.length; i++) events.push(this.kept[i]!.event);
    return { events, next: Math.max(after, this.nextId - 1) };
  }

  /** Calls `onEvent` for every event appended from now on; the returned function stops it. */
  follow(onEvent: (e: CommandLogEvent) => void): () => void {
    this.followers.add(onEvent);
    return () => this.followers.delete(onEvent);
  }

  /** Bytes of output kept (what this log holds in memory, give or take the events' framing). */
  get bytes(): number {
    return this.keptBytes;
  }

  /** The gap a reader at `after` meets; its id is the last one dropped, so reading on after it continues. */
  private gap(after: number): CommandLogEvent {
    const readBefore = after === 0 ? 0 : this.droppedAt[after - this.droppedSince];
    return {
      id: this.droppedThrough,
      event: 'gap',
      data: { lostEvents: this.droppedThrough - after, lostBytes: this.droppedBytes - (readBefore ?? 0) },
    };
  }
}

/** Dropped ids whose byte counts are kept for exact gaps (8 bytes each). */
const DROPPED_KEPT = 10_000;

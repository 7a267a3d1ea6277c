import { StringDecoder } from 'node:string_decoder';
import Dockerode from 'dockerode';
import { DEFAULT_LABEL_PREFIX, isOwned, labelKeys, managedFilter } from './labels.js';

/** A Berth container died or hit its memory limit. The local host turns these into task-state events. */
export interface WorkspaceContainerEvent {
  taskRef: string;
  workspaceId: string | null;
  action: 'die' | 'oom';
  /** `die` only. */
  exitCode: number | null;
  /** Epoch ms. */
  at: number;
  /**
   * `die` only: the signal of a Docker API kill just before (our own stop/rm -f sends 9). null = the
   * container ended on its own (crash, exit, kernel OOM kill): that is what "unexpected" means.
   */
  signal: number | null;
}

export interface DockerEventsOptions {
  docker?: Dockerode;
  labelPrefix?: string;
  /** Only this Berth's containers (DockerRuntime.instance); default: every one under the prefix. */
  instance?: string;
  onEvent: (event: WorkspaceContainerEvent) => void;
  /** Stream errors; the subscription reconnects by itself after each. */
  onError?: (err: Error) => void;
  /** First reconnect delay; doubles up to 10 s while the engine stays unreachable. */
  reconnectDelayMs?: number;
}

export interface DockerEventSubscription {
  close(): void;
}

/** The raw engine event (subset). */
export interface DockerEventMessage {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export type ParsedEvent =
  | { kind: 'kill'; taskRef: string; signal: number | null }
  | { kind: 'event'; event: Omit<WorkspaceContainerEvent, 'signal'> };

/** Pure: engine event → ours, or null for anything else. */
export function parseDockerEvent(
  msg: DockerEventMessage,
  labelPrefix = DEFAULT_LABEL_PREFIX,
  instance?: string,
): ParsedEvent | null {
  const taskRef = msg.Actor?.ID ?? msg.id;
  const attrs = msg.Actor?.Attributes ?? {};
  if (msg.Type !== 'container' || !taskRef) return null;
  if (!isOwned(attrs, labelPrefix, instance)) return null;
  const at = msg.timeNano !== undefined ? Math.floor(msg.timeNano / 1e6) : (msg.time ?? 0) * 1000;
  const num = (v: string | undefined) => (v === undefined || v === '' || isNaN(Number(v)) ? null : Number(v));
  const workspaceId = attrs[labelKeys(labelPrefix).workspaceId] ?? null;
  switch (msg.Action) {
    case 'kill':
      return { kind: 'kill', taskRef, signal: num(attrs.signal) };
    case 'die':
      return {
        kind: 'event',
        event: { taskRef, workspaceId, action: 'die', exitCode: num(attrs.exitCode), at },
      };
    case 'oom':
      return { kind: 'event', event: { taskRef, workspaceId, action: 'oom', exitCode: null, at } };
    default:
      return null;
  }
}

/**
 * Subscribes to `die`/`oom`/`kill` of Berth-labelled containers. Resolves once the stream is open, so
 * anything that happens afterwards is seen. If the stream ends it reconnects with `since` = the last event
 * seen, so nothing in the gap is lost (duplicates at the boundary are dropped).
 */
export async function subscribeDockerEvents(options: DockerEventsOptions): Promise<DockerEventSubscription> {
  const sub = new Subscription(options);
  await sub.connect();
  return sub;
}

const KILL_MEMORY_MS = 60_000;

class Subscription implements DockerEventSubscription {
  private readonly docker: Dockerode;
  private readonly labelPrefix: string;
  private stream: NodeJS.ReadableStream | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private lastNano = 0;
  private readonly seenAtLastNano = new Set<string>();
  private readonly kills = new Map<string, { signal: number | null; at: number }>();

  constructor(private readonly options: DockerEventsOptions) {
    this.docker = options.docker ?? new Dockerode();
    this.labelPrefix = options.labelPrefix ?? DEFAULT_LABEL_PREFIX;
    this.delay = options.reconnectDelayMs ?? 500;
  }

  async connect(): Promise<void> {
    const stream = await this.docker.getEvents({
      // Seconds with a fraction; replaying a little too much is fine, we dedupe.
      ...(this.lastNano ? { since: Math.floor(this.lastNano / 1e6) / 1000 } : {}),
      filters: {
        type: ['container'],
        event: ['die', 'oom', 'kill'],
        label: [managedFilter(this.labelPrefix)],
      },
    });
    if (this.closed) return destroy(stream);
    this.stream = stream;
    this.delay = this.options.reconnectDelayMs ?? 500;
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) this.handleLine(line);
      }
    });
    let ended = false;
    const onEnd = (err?: Error) => {
      if (ended) return;
      ended = true;
      if (err) this.options.onError?.(err);
      this.scheduleReconnect();
    };
    stream.on('error', onEnd);
    stream.on('end', () => onEnd());
    stream.on('close', () => onEnd());
  }

  private handleLine(line: string): void {
    let msg: DockerEventMessage;
    try {
      msg = JSON.parse(line) as DockerEventMessage;
    } catch {
      return;
    }
    if (this.isDuplicate(msg)) return;
    const parsed = parseDockerEvent(msg, this.labelPrefix, this.options.instance);
    if (!parsed) return;
    if (parsed.kind === 'kill') {
      this.kills.set(parsed.taskRef, { signal: parsed.signal, at: Date.now() });
      return;
    }
    const kill = parsed.event.action === 'die' ? this.kills.get(parsed.event.taskRef) : undefined;
    if (parsed.event.action === 'die') this.kills.delete(parsed.event.taskRef);
    this.pruneKills();
    this.options.onEvent({ ...parsed.event, signal: kill?.signal ?? null });
  }

  private isDuplicate(msg: DockerEventMessage): boolean {
    const nano = msg.timeNano ?? 0;
    const key = `${msg.Actor?.ID ?? msg.id}:${msg.Action}`;
    if (nano < this.lastNano) return true;
    if (nano === this.lastNano && this.seenAtLastNano.has(key)) return true;
    if (nano > this.lastNano) {
      this.lastNano = nano;
      this.seenAtLastNano.clear();
    }
    this.seenAtLastNano.add(key);
    return false;
  }

  // A kill whose die never came (e.g. kill of a paused container) must not pin memory forever.
  private pruneKills(): void {
    const cutoff = Date.now() - KILL_MEMORY_MS;
    for (const [ref, k] of this.kills) if (k.at < cutoff) this.kills.delete(ref);
  }

  private scheduleReconnect(): void {
    this.stream = null;
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().catch((err: Error) => {
        this.options.onError?.(err);
        this.delay = Math.min(this.delay * 2, 10_000);
        this.scheduleReconnect();
      });
    }, this.delay);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.stream) destroy(this.stream);
    this.stream = null;
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}

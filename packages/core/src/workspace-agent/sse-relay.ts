import { Transform, pipeline, type Readable } from 'node:stream';
import { SseDecoder } from '@berth/protocol';

export interface SseRelayHooks {
  /** The name of each event, once its last byte has passed. Must not throw. */
  onEvent(name: string): void;
  /**
   * Awaited once before the relay ends, or closes early (client gone, agent died): a streamed Lambda stays
   * alive for it. Must not reject.
   */
  beforeEnd(): Promise<void>;
}

/**
 * The agent's SSE body relayed byte for byte, with the events' names read on the way. Destroying the relay
 * (the client went away) destroys the source, which closes the agent's socket and so ends its work.
 */
export function relaySse(source: Readable, hooks: SseRelayHooks): Readable {
  // Names only: the data is counted, not kept, so a megabyte `data:` line costs no memory.
  const decoder = new SseDecoder({ keepData: false });
  let ending: Promise<void> | undefined;
  const end = () => (ending ??= hooks.beforeEnd());
  const relay = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
      for (const { event } of decoder.push(chunk)) hooks.onEvent(event);
    },
    flush(callback) {
      void end().then(() => callback());
    },
    destroy(error, callback) {
      source.destroy();
      void end().then(() => callback(error));
    },
  });
  // pipeline, not pipe: an agent socket closed mid-stream (premature close) reaches the relay as an error.
  pipeline(source, relay, () => {});
  return relay;
}

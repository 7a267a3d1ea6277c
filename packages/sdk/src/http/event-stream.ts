import { SSE_MEDIA_TYPE, SseEventTooLarge, readSse, type SseMessage } from '@berth/protocol/client';
import { BerthConnectionError, BerthError } from '../errors.js';
import type { Call, Transport } from './transport.js';

/**
 * The SSE answer of a call, event by event. The request is sent on the first `next()` (so an error answer
 * such as 400 or 404 throws there), and leaving the loop, or aborting `call.signal`, closes the connection.
 */
export async function* eventStream(http: Transport, call: Call): AsyncGenerator<SseMessage, void, undefined> {
  const answer = await http.open({ ...call, accept: SSE_MEDIA_TYPE });
  try {
    const { response } = answer;
    const type = response.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith(SSE_MEDIA_TYPE) || !response.body) {
      throw new BerthError(`expected an event stream from ${call.path}, got "${type || 'no body'}"`);
    }
    try {
      yield* readSse(response.body);
    } catch (e) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (e instanceof BerthError) throw e;
      if (e instanceof SseEventTooLarge) throw new BerthError(`${call.path}: ${e.message}`, { cause: e });
      const detail = e instanceof Error ? e.message : String(e);
      throw new BerthConnectionError(`the event stream from ${call.path} broke: ${detail}`, { cause: e });
    }
  } finally {
    answer.release();
  }
}

/** Each event's `data:` is JSON on Berth's streams (even stdout chunks: a JSON string keeps bytes exact). */
export function decodeData(message: SseMessage): unknown {
  try {
    return JSON.parse(message.data);
  } catch (e) {
    throw new BerthError(`event "${message.event}" carried data that is not JSON`, { cause: e });
  }
}

/** A stream that ends before its final event (`exit`, `result`/`error`) lost its connection on the way. */
export const endedEarly = (path: string, expected: string) =>
  new BerthConnectionError(`the event stream from ${path} ended before its ${expected} event`);

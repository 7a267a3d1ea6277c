import { SseDecoder, type SseDecoderOptions, type SseMessage } from './sse-decoder.js';

/** A response body (web stream) or any async iterable of byte or text chunks (a Node stream). */
export type SseSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/**
 * The events of a text/event-stream body, as they arrive. Ending the loop early (break, return, throw, an
 * event over the limit) cancels the body, which closes the connection: the server sees the client go.
 */
export async function* readSse(
  body: SseSource,
  options?: SseDecoderOptions,
): AsyncGenerator<SseMessage, void, undefined> {
  const decoder = new SseDecoder(options);
  for await (const chunk of chunksOf(body)) yield* decoder.push(chunk);
  yield* decoder.end();
}

/** A web stream read with a reader (not every runtime makes it async iterable), cancelled if left early. */
async function* chunksOf(body: SseSource): AsyncGenerator<Uint8Array | string, void, undefined> {
  if (!('getReader' in body)) return yield* body;
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

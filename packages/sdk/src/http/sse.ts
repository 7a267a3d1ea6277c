/** One server-sent event, as the HTML spec's event-stream parser dispatches it. */
export interface SseMessage {
  /** `message` when the event named none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen so far in the stream, if any. */
  id: string | undefined;
}

const LF = 10;
const CR = 13;

/**
 * The text/event-stream grammar over text arriving in arbitrary pieces: lines end in CRLF, LF or CR (a CR
 * at the end of one piece may pair with an LF starting the next), `:` lines are comments, several `data:`
 * lines make one multi-line payload, and a blank line dispatches. A stream's unterminated tail is dropped,
 * as the spec says: an event counts only once its blank line arrived.
 */
export class SseParser {
  #buffer = '';
  /** How far `#buffer` has been searched for a line end (it holds only an unfinished line). */
  #scanned = 0;
  /** The previous piece ended in CR: an LF opening the next piece is part of that line end. */
  #pendingCr = false;
  #event = '';
  #data: string[] = [];
  #lastId: string | undefined;

  push(text: string): SseMessage[] {
    if (text === '') return [];
    if (this.#pendingCr && text.charCodeAt(0) === LF) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const line = this.#buffer.slice(start, i);
      if (c === CR) {
        if (i + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
      this.#line(line, out);
    }
    this.#buffer = this.#buffer.slice(start);
    this.#scanned = this.#buffer.length;
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastId });
      }
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return; // a comment: heartbeats keep idle proxies from closing the stream
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
    // `retry` and unknown fields: ignored (the SDK does not reconnect an event stream by itself).
  }
}

/**
 * The events of a text/event-stream body, as they arrive. Ending the loop early (break, return, throw)
 * cancels the body, which closes the connection: the server sees the client go.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // strips a leading BOM; `stream: true` keeps split UTF-8 sequences whole
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

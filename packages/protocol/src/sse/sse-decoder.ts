/** One server-sent event, as the HTML spec's event-stream parser dispatches it. */
export interface SseMessage {
  /** `message` when the event named none. */
  event: string;
  /** The `data:` lines joined with `\n` (empty when the decoder does not keep data). */
  data: string;
  /** The last `id:` seen so far in the stream, if any. */
  id: string | undefined;
}

export interface SseDecoderOptions {
  /**
   * Most UTF-16 code units one event may hold (its data plus the line being read): past it `push` throws
   * SseEventTooLarge, so a stream that never sends a line end cannot fill memory. Default 16 MiB.
   */
  maxEventLength?: number;
  /**
   * false: only the events' names and ids are read; data lines are counted, not kept, whatever their length
   * (for a relay that passes the bytes on and only watches them). Default true.
   */
  keepData?: boolean;
}

/** An event (or a line) went past `maxEventLength`; the stream should be abandoned. */
export class SseEventTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`an event of the stream is over ${limit} characters`);
    this.name = 'SseEventTooLarge';
  }
}

const DEFAULT_MAX_EVENT_LENGTH = 16 * 1024 * 1024;
/** Without data: enough of a line to read any field name and event name Berth sends. */
const KEPT_LINE_PREFIX = 128;
const LINE_END = /\r\n?|\n/g;
const CR = '\r';
const LF = '\n';
const BOM = '\uFEFF';

/**
 * The text/event-stream grammar over bytes or text arriving in arbitrary pieces: lines end in CRLF, LF or CR
 * (a CR ending one piece may pair with an LF opening the next), `:` lines are comments, several `data:`
 * lines make one multi-line payload, and a blank line dispatches. Bytes are decoded as UTF-8 with characters
 * split across pieces kept whole and a leading BOM dropped. An unterminated tail is dropped, as the spec says:
 * an event counts only once its blank line arrived.
 */
export class SseDecoder {
  readonly #maxEventLength: number;
  readonly #keepData: boolean;
  readonly #utf8 = new TextDecoder();
  #started = false;
  /** The start of the line being read (only its prefix when data is not kept). */
  #partial = '';
  #partialLength = 0;
  /** The previous piece ended in CR: an LF opening the next piece is part of that line end. */
  #pendingCr = false;
  #event = '';
  #data: string[] = [];
  #hasData = false;
  #dataLength = 0;
  #lastId: string | undefined;

  constructor(options: SseDecoderOptions = {}) {
    this.#maxEventLength = options.maxEventLength ?? DEFAULT_MAX_EVENT_LENGTH;
    this.#keepData = options.keepData ?? true;
  }

  /** The events completed by this piece, in order. */
  push(chunk: string | Uint8Array): SseMessage[] {
    const isText = typeof chunk === 'string';
    let text = isText ? chunk : this.#utf8.decode(chunk, { stream: true }); // TextDecoder drops the BOM
    if (!this.#started && text !== '') {
      this.#started = true;
      if (isText && text.startsWith(BOM)) text = text.slice(1);
    }
    return this.#text(text);
  }

  /** The end of the stream: completes a character split at the end of the bytes; drops an unfinished event. */
  end(): SseMessage[] {
    const out = this.#text(this.#utf8.decode());
    this.#partial = '';
    this.#partialLength = 0;
    this.#resetEvent();
    return out;
  }

  #text(text: string): SseMessage[] {
    if (text === '') return []; // an empty piece leaves a pending CR pending
    const out: SseMessage[] = [];
    let start = 0;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (text.startsWith(LF)) start = 1;
    }
    LINE_END.lastIndex = start;
    for (let m = LINE_END.exec(text); m !== null; m = LINE_END.exec(text)) {
      this.#append(text, start, m.index);
      this.#line(out);
      start = LINE_END.lastIndex;
      if (m[0] === CR && start === text.length) this.#pendingCr = true;
    }
    this.#append(text, start, text.length);
    return out;
  }

  /** Adds text[from, to) to the line being read, within the event's limit. */
  #append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#partialLength += to - from;
    if (this.#keepData) {
      if (this.#dataLength + this.#partialLength > this.#maxEventLength) {
        throw new SseEventTooLarge(this.#maxEventLength);
      }
      this.#partial += text.slice(from, to);
    } else if (this.#partial.length < KEPT_LINE_PREFIX) {
      this.#partial += text.slice(from, Math.min(to, from + KEPT_LINE_PREFIX - this.#partial.length));
    }
  }

  #line(out: SseMessage[]): void {
    const line = this.#partial;
    const blank = this.#partialLength === 0;
    this.#partial = '';
    this.#partialLength = 0;
    if (blank) {
      if (this.#hasData) {
        out.push({ event: this.#event || 'message', data: this.#data.join(LF), id: this.#lastId });
      }
      this.#resetEvent();
      return;
    }
    if (line.startsWith(':')) return; // a comment: heartbeats keep idle proxies from closing the stream
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#hasData = true;
      if (this.#keepData) {
        this.#data.push(value);
        this.#dataLength += value.length + 1;
      }
    } else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
    // `retry` and unknown fields: ignored (nothing in Berth reconnects an event stream by itself).
  }

  #resetEvent(): void {
    this.#event = '';
    this.#data = [];
    this.#hasData = false;
    this.#dataLength = 0;
  }
}

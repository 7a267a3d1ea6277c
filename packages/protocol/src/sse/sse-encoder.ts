/** The media type of an event stream, in `Content-Type` and `Accept`. */
export const SSE_MEDIA_TYPE = 'text/event-stream';

/** One event to send: its name, its data (sent as JSON), and an id where the stream uses them. */
export interface SseEventInit {
  event: string;
  data: unknown;
  id?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * One event on the wire: `event:`, `id:` if given, then the data as JSON. JSON has no raw line break (a
 * string's newlines are escaped), so the data is one `data:` line and decodes exactly, trailing newlines
 * included; a line break would still be split over several `data:` lines, which decoders join back.
 */
export function encodeSseEvent({ event, data, id }: SseEventInit): string {
  if (LINE_BREAK.test(event) || (id !== undefined && LINE_BREAK.test(id))) {
    throw new TypeError('an event name or id cannot contain a line break');
  }
  const lines = (JSON.stringify(data) ?? 'null').split(LINE_BREAK);
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `event: ${event}\n${idLine}${lines.map((l) => `data: ${l}\n`).join('')}\n`;
}

/** A comment: decoders skip it; sent to keep an idle stream open through proxies and load balancers. */
export function encodeSseComment(text: string): string {
  if (LINE_BREAK.test(text)) throw new TypeError('an SSE comment cannot contain a line break');
  return `: ${text}\n\n`;
}

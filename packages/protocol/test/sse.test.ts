import { describe, expect, it } from 'vitest';
import {
  SseDecoder,
  SseEventTooLarge,
  encodeSseComment,
  encodeSseEvent,
  readSse,
  type SseMessage,
} from '@berth/protocol';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Every event of `wire` pushed in the given pieces, then the end of the stream. */
function decode(pieces: (string | Uint8Array)[], decoder = new SseDecoder()): SseMessage[] {
  return [...pieces.flatMap((p) => decoder.push(p)), ...decoder.end()];
}

const WIRE =
  '\uFEFF: a comment\n:\n' +
  'event: stdout\ndata: "one\\n"\n\n' +
  'event: multi\r\ndata: first\r\ndata:second, no space\r\ndata:  two spaces keep one\r\nid: 7\r\n\r\n' +
  'data: unnamed → message; é中😀\r\r' +
  'event: empty\ndata\n\n' +
  'event: no-data-is-no-event\n\n' +
  'retry: 10\nunknown: field\nevent: exit\ndata: {"exitCode":0}\n\n' +
  'data: an unterminated tail is dropped';

const EXPECTED: SseMessage[] = [
  { event: 'stdout', data: '"one\\n"', id: undefined },
  { event: 'multi', data: 'first\nsecond, no space\n two spaces keep one', id: '7' },
  { event: 'message', data: 'unnamed → message; é中😀', id: '7' },
  { event: 'empty', data: '', id: '7' },
  { event: 'exit', data: '{"exitCode":0}', id: '7' },
];

describe('encodeSseEvent / encodeSseComment', () => {
  it('writes the exact bytes Berth has always sent: event, data as one JSON line, blank line', () => {
    expect(encodeSseEvent({ event: 'stdout', data: 'a\nb\r\n' })).toBe(
      'event: stdout\ndata: "a\\nb\\r\\n"\n\n',
    );
    expect(encodeSseEvent({ event: 'exit', data: { exitCode: 0 } })).toBe(
      'event: exit\ndata: {"exitCode":0}\n\n',
    );
    expect(encodeSseEvent({ event: 'e', data: 1, id: '42' })).toBe('event: e\nid: 42\ndata: 1\n\n');
    expect(encodeSseComment('keepalive')).toBe(': keepalive\n\n');
  });

  it('refuses names, ids and comments that would break the framing', () => {
    expect(() => encodeSseEvent({ event: 'a\nb', data: 1 })).toThrow(TypeError);
    expect(() => encodeSseEvent({ event: 'a', data: 1, id: '1\r' })).toThrow(TypeError);
    expect(() => encodeSseComment('x\ny')).toThrow(TypeError);
  });

  it('round-trips through the decoder, data exact', () => {
    const events = [
      { event: 'stdout', data: 'line\n\r\n trailing \u2028 é😀' },
      { event: 'message', data: { nested: ['a\nb'], n: 1.5, nil: null } },
    ];
    const wire = events.map((e) => encodeSseEvent(e)).join(encodeSseComment('keepalive'));
    const decoded = decode([wire]).map((m) => ({ event: m.event, data: JSON.parse(m.data) as unknown }));
    expect(decoded).toEqual(events);
  });
});

describe('SseDecoder', () => {
  it('decodes the grammar: comments, CRLF/LF/CR, multi-line data, id, no-data, unterminated tail', () => {
    expect(decode([WIRE])).toEqual(EXPECTED);
  });

  it('gives the same events whatever the chunk boundaries: every split of the bytes, and byte by byte', () => {
    const bytes = utf8(WIRE);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(decode([bytes.subarray(0, cut), bytes.subarray(cut)]), `split at ${cut}`).toEqual(EXPECTED);
    }
    expect(decode([...bytes].map((b) => Uint8Array.of(b)))).toEqual(EXPECTED);
  });

  it('the same over text pieces, three cuts anywhere (a CR ending one piece, its LF opening the next)', () => {
    const text = WIRE.replace('\uFEFF', '');
    for (let a = 0; a <= text.length; a += 3) {
      for (let b = a; b <= text.length; b += 7) {
        expect(decode([text.slice(0, a), text.slice(a, b), text.slice(b)]), `cuts ${a},${b}`).toEqual(
          EXPECTED,
        );
      }
    }
  });

  it('an LF after a CR that ended a piece is part of that line end, not a blank line', () => {
    const d = new SseDecoder();
    expect(d.push('data: 1\r')).toEqual([]);
    expect(d.push('\n')).toEqual([]);
    expect(d.push('\r\n')).toEqual([{ event: 'message', data: '1', id: undefined }]);
    expect(d.push('data: 2\r\r')).toEqual([{ event: 'message', data: '2', id: undefined }]);
  });

  it('bounds an event: a long line or many data lines throw SseEventTooLarge with the limit', () => {
    const noLineEnd = new SseDecoder({ maxEventLength: 100 });
    expect(noLineEnd.push(`data: ${'x'.repeat(90)}`)).toEqual([]);
    expect(() => noLineEnd.push('x'.repeat(20))).toThrow(SseEventTooLarge);

    const manyLines = new SseDecoder({ maxEventLength: 100 });
    expect(() => manyLines.push('data: 0123456789\n'.repeat(10))).toThrow(
      expect.objectContaining({ name: 'SseEventTooLarge', limit: 100 }),
    );

    // The limit is per event: many events of any total size pass.
    const many = new SseDecoder({ maxEventLength: 100 });
    expect(many.push('data: 0123456789\n\n'.repeat(1000))).toHaveLength(1000);
  });

  it('without data: names and ids only, a data line of any length costs nothing', () => {
    const d = new SseDecoder({ keepData: false, maxEventLength: 10 });
    expect(d.push(`event: result\nid: 3\ndata: ${'x'.repeat(1_000_000)}`)).toEqual([]);
    expect(d.push('\n\n')).toEqual([{ event: 'result', data: '', id: '3' }]);
  });

  it('keeps a UTF-8 character split across pieces whole', () => {
    const bytes = utf8('data: 😀\n\n');
    expect(decode([bytes.subarray(0, 8), bytes.subarray(8)])).toEqual([
      { event: 'message', data: '😀', id: undefined },
    ]);
  });
});

describe('readSse', () => {
  const stream = (pieces: string[], onCancel?: () => void) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(utf8(p));
        if (!onCancel) controller.close();
      },
      cancel: onCancel,
    });

  it('reads a web stream and a Node-style async iterable alike', async () => {
    const pieces = [WIRE.slice(0, 40), WIRE.slice(40)];
    const fromWeb: SseMessage[] = [];
    for await (const m of readSse(stream(pieces))) fromWeb.push(m);
    async function* iterable() {
      yield* pieces;
    }
    const fromIterable: SseMessage[] = [];
    for await (const m of readSse(iterable())) fromIterable.push(m);
    expect(fromWeb).toEqual(EXPECTED);
    expect(fromIterable).toEqual(EXPECTED);
  });

  it('leaving the loop, or an event over the limit, cancels the body', async () => {
    let cancelled = 0;
    for await (const m of readSse(stream(['data: 1\n\ndata: 2\n\n'], () => cancelled++)))
      if (m.data === '1') break;
    expect(cancelled).toBe(1);
    const tooBig = readSse(
      stream([`data: ${'x'.repeat(50)}`], () => cancelled++),
      { maxEventLength: 10 },
    );
    await expect(tooBig.next()).rejects.toBeInstanceOf(SseEventTooLarge);
    expect(cancelled).toBe(2);
  });
});

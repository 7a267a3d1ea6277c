import { describe, expect, it } from 'vitest';
import { SseDecoder } from '@berth/protocol';

const names = (chunks: (string | Buffer)[]) => {
  const decoder = new SseDecoder({ keepData: false });
  return chunks.flatMap((c) => decoder.push(typeof c === 'string' ? Buffer.from(c) : c).map((m) => m.event));
};

const WIRE = Buffer.from(
  ': a comment\n\n' +
    'event: message\ndata: {"text":"é ✓"}\n\n' +
    'event:files_changed\r\ndata: {"changed":["a"]}\r\n\r\n' +
    'data: no name is a message\r\r' +
    'event: files_changed\nid: 7\ndata: {}\ndata: {}\n\n' +
    'event: result\ndata: {}\n\n' +
    'event: error\ndata: {"code":"aborted"}', // no blank line yet: not dispatched
);
const EXPECTED = ['message', 'files_changed', 'message', 'files_changed', 'result'];

describe('SseDecoder without data (the relay watching event names)', () => {
  it('names each dispatched event: LF, CR LF and CR line ends, no data means no event', () => {
    expect(names([WIRE])).toEqual(EXPECTED);
  });

  it('reads the same names whatever the chunk boundaries (every split point, and byte by byte)', () => {
    for (let cut = 0; cut <= WIRE.length; cut++) {
      expect(names([WIRE.subarray(0, cut), WIRE.subarray(cut)]), `split at ${cut}`).toEqual(EXPECTED);
    }
    expect(names([...WIRE].map((b) => Buffer.from([b])))).toEqual(EXPECTED);
  });

  it('takes a long data line in stride', () => {
    const decoder = new SseDecoder({ keepData: false });
    expect(decoder.push(Buffer.from(`data: ${'x'.repeat(5_000_000)}`))).toEqual([]);
    expect(decoder.push(Buffer.from('\n\n')).map((m) => m.event)).toEqual(['message']);
  });
});

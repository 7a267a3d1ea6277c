import { describe, expect, it } from 'vitest';
import { readSse, SseDecoder, type SseMessage } from '@berth/sdk';

// The event-stream grammar, whatever the chunking: Berth's streams cross proxies that split them anywhere.

const WIRE = [
  ': a comment line, then a heartbeat',
  ':',
  'event: stdout',
  'data: "one\\n"',
  '',
  'event: multi',
  'data: first line',
  'data:second line, no space',
  'data:  two spaces keep one',
  'id: 7',
  '',
  'data: unnamed → message; é中😀',
  '',
  'event: empty',
  'data',
  '',
  'event: no-data-is-no-event',
  '',
  'event: exit',
  'data: {"exitCode":0}',
  '',
  'data: an unterminated tail is dropped',
].join('\n');

const EXPECTED: SseMessage[] = [
  { event: 'stdout', data: '"one\\n"', id: undefined },
  { event: 'multi', data: 'first line\nsecond line, no space\n two spaces keep one', id: '7' },
  { event: 'message', data: 'unnamed → message; é中😀', id: '7' },
  { event: 'empty', data: '', id: '7' },
  { event: 'exit', data: '{"exitCode":0}', id: '7' },
];

const withEol = (eol: string) => WIRE.replaceAll('\n', eol);

/** A byte stream cut into pieces of `size` bytes (so multi-byte characters and CRLFs get split). */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>) {
  const out: SseMessage[] = [];
  for await (const m of readSse(stream)) out.push(m);
  return out;
}

describe('SSE parsing', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    it(`${name} line ends, in 1-byte chunks, 3-byte chunks and whole`, async () => {
      for (const size of [1, 3, 1 << 20]) {
        expect(await collect(chunked(withEol(eol), size))).toEqual(EXPECTED);
      }
    });
  }

  it('mixed line ends, a CR closing one chunk and its LF opening the next', () => {
    const p = new SseDecoder();
    expect(p.push('event: a\r')).toEqual([]);
    expect(p.push('\ndata: 1\r')).toEqual([]);
    // That \n ends the pending CR's line only; the blank line after dispatches.
    expect(p.push('\n\n')).toEqual([{ event: 'a', data: '1', id: undefined }]);
    expect(p.push('data: 2\n\r\n')).toEqual([{ event: 'message', data: '2', id: undefined }]);
    expect(p.push('data: 3\r\r')).toEqual([{ event: 'message', data: '3', id: undefined }]);
    // Two CRs are two line ends: an LF after the second belongs to it, not an extra blank line.
    expect(p.push('\ndata: 4\n\n')).toEqual([{ event: 'message', data: '4', id: undefined }]);
  });

  it('a leading BOM is ignored', async () => {
    expect(await collect(chunked('\uFEFFevent: x\ndata: y\n\n', 1))).toEqual([
      { event: 'x', data: 'y', id: undefined },
    ]);
  });

  it('breaking out of the loop cancels the body', async () => {
    let cancelled = false;
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${n++}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const m of readSse(stream)) if (m.data === '2') break;
    expect(cancelled).toBe(true);
  });
});

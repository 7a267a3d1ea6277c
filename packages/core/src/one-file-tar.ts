import { Readable } from 'node:stream';

const BLOCK = 512;

/** The body ended early or ran past the size the tar header declared (the tar would be corrupt). */
export class TarSizeMismatch extends Error {
  override name = 'TarSizeMismatch';
  constructor(
    readonly declared: number,
    readonly actual: number,
    readonly complete: boolean,
  ) {
    super(`the file has ${complete ? '' : 'more than '}${actual} bytes, not the ${declared} declared`);
  }
}

/**
 * A tar holding one regular file, `name`, whose `size` bytes are `body`, streamed as `body` flows (never held
 * whole): how a file of any size reaches the workspace agent, whose `PUT /files/archive` takes streams of any
 * length (its `PUT /files` reads the body whole, up to 6 MiB). A name past ustar's 100 bytes travels in a PAX
 * header, as GNU tar writes it. A body of another length fails the stream with TarSizeMismatch; destroying
 * the tar destroys `body`.
 */
export function oneFileTar(name: string, size: number, body: Readable, mtimeMs = Date.now()): Readable {
  async function* blocks() {
    try {
      const mtime = Math.floor(mtimeMs / 1000);
      const nameBytes = Buffer.from(name, 'utf8');
      if (nameBytes.length > 100) yield* withPadding(paxHeader(`path=${name}`, mtime));
      yield header({ name: nameBytes.subarray(0, 100), size, mtime, type: '0' });
      let seen = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > size) throw new TarSizeMismatch(size, seen, false);
        yield chunk;
      }
      if (seen !== size) throw new TarSizeMismatch(size, seen, true);
      yield Buffer.alloc(padding(size) + 2 * BLOCK); // the member's padding, then the end-of-archive marker
    } finally {
      if (!body.readableEnded) body.destroy();
    }
  }
  return Readable.from(blocks(), { objectMode: false });
}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function* withPadding([head, data]: [Buffer, Buffer]) {
  yield head;
  yield Buffer.concat([data, Buffer.alloc(padding(data.length))]);
}

/** A PAX extended header (`x`) carrying one record; the record's length prefix counts its own digits. */
function paxHeader(record: string, mtime: number): [Buffer, Buffer] {
  const body = ` ${record}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  const data = Buffer.from(`${len}${body}`, 'utf8');
  return [header({ name: Buffer.from('././@PaxHeader'), size: data.length, mtime, type: 'x' }), data];
}

function header(h: { name: Buffer; size: number; mtime: number; type: '0' | 'x' }): Buffer {
  const b = Buffer.alloc(BLOCK);
  h.name.copy(b, 0);
  const octal = (value: number, at: number, width: number) =>
    b.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'latin1');
  octal(0o644, 100, 8); // mode
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(h.size, 124, 12);
  octal(h.mtime, 136, 12);
  b.write('        ', 148, 8, 'latin1'); // checksum counts as spaces while it is computed
  b.write(h.type, 156, 1, 'latin1');
  b.write('ustar\0', 257, 6, 'latin1');
  b.write('00', 263, 2, 'latin1');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

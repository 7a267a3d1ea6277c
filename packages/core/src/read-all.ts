import type { Readable } from 'node:stream';
import { readBounded } from '@berth/protocol';

/**
 * A Node stream read whole within `limit` bytes, as a Buffer: the protocol's bounded reader (past the limit,
 * `BodyTooLarge` and the stream is destroyed).
 */
export async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const body = await readBounded(stream, limit);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** At most the first `limit` bytes of a stream (an error body worth quoting); the rest is not read. */
export async function readPrefix(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    chunks.push(chunk.subarray(0, limit - size));
    size += Math.min(chunk.length, limit - size);
    if (size >= limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks, size);
}

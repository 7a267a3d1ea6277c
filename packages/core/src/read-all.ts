import type { Readable } from 'node:stream';

/** A body went past the byte limit its reader set; the stream was destroyed, nothing more was read. */
export class ReadLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`body is over ${limit} bytes`);
    this.name = 'ReadLimitExceeded';
  }
}

/**
 * Reads a whole stream that must fit in `limit` bytes. There is no unlimited variant on purpose: every
 * body read into memory (from the agent, a client, a handler) says how much memory it may take.
 */
export async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new ReadLimitExceeded(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
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

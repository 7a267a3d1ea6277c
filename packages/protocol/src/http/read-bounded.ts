/** A body went past the byte limit its reader set; nothing more of it was read. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body is over ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

export interface ReadBoundedOptions {
  /** The length the sender announced (`Content-Length`): over the limit, nothing is read at all. */
  declaredLength?: number | string | undefined;
  /** Sees every chunk as it arrives, the one that crosses the limit included (byte counters). */
  onChunk?: (chunk: Uint8Array) => void;
}

const encoder = new TextEncoder();

/**
 * Reads a whole body that must fit in `limit` bytes. There is no unlimited variant on purpose: every body
 * read into memory says how much memory it may take. Past the limit the loop is left, which destroys a Node
 * stream or cancels a web stream (iterate `stream.iterator({ destroyOnReturn: false })` to keep it open).
 */
export async function readBounded(
  source: AsyncIterable<Uint8Array | string>,
  limit: number,
  options: ReadBoundedOptions = {},
): Promise<Uint8Array> {
  if (Number(options.declaredLength ?? 0) > limit) throw new BodyTooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of source) {
    const chunk = typeof c === 'string' ? encoder.encode(c) : c;
    options.onChunk?.(chunk);
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

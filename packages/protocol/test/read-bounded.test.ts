import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLarge, readBounded } from '@berth/protocol';

async function* pieces(...chunks: (string | Uint8Array)[]) {
  yield* chunks;
}

describe('readBounded', () => {
  it('joins byte and text chunks up to the limit, the limit itself included', async () => {
    const body = await readBounded(pieces('ab', new Uint8Array([99]), 'é'), 5);
    expect(new TextDecoder().decode(body)).toBe('abcé');
    expect(await readBounded(pieces(), 0)).toEqual(new Uint8Array(0));
  });

  it('one byte over is BodyTooLarge, with the limit', async () => {
    const error = await readBounded(pieces('abc', 'def'), 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLarge);
    expect(error).toMatchObject({ name: 'BodyTooLarge', limit: 5, message: 'body is over 5 bytes' });
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    let read = false;
    async function* source() {
      read = true;
      yield 'x';
    }
    await expect(readBounded(source(), 10, { declaredLength: '11' })).rejects.toBeInstanceOf(BodyTooLarge);
    expect(read).toBe(false);
    expect(await readBounded(source(), 10, { declaredLength: 'not a number' })).toEqual(
      new Uint8Array([120]),
    );
  });

  it('destroys a Node stream past the limit, and counts every chunk it saw', async () => {
    const stream = Readable.from([Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)]);
    let seen = 0;
    const read = readBounded(stream, 6, { onChunk: (c) => (seen += c.length) });
    await expect(read).rejects.toBeInstanceOf(BodyTooLarge);
    expect(seen).toBe(8);
    expect(stream.destroyed).toBe(true);
  });

  it('leaves a Node stream open when read through a non-destroying iterator', async () => {
    const stream = Readable.from([Buffer.alloc(4), Buffer.alloc(4)]);
    await expect(readBounded(stream.iterator({ destroyOnReturn: false }), 2)).rejects.toBeInstanceOf(
      BodyTooLarge,
    );
    expect(stream.destroyed).toBe(false);
  });
});

/** Lets the first `cap` bytes of a stream through and notes whether more came. */
export class ByteCap {
  private taken = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  /** The part of `chunk` within the cap: all of it, its start, or nothing once the cap is reached. */
  take(chunk: Buffer): Buffer {
    const room = this.cap - this.taken;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return chunk.subarray(0, 0);
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.taken += kept.length;
    return kept;
  }
}

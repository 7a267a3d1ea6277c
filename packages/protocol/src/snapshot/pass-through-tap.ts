import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through stream that shows every chunk to a consumer (a tar parser, a manifest builder) and passes it
 * on unchanged; whatever the consumer throws, on a chunk or at the end, fails the stream there.
 */
export abstract class PassThroughTap extends Transform {
  /** Sees a chunk before it passes on; throws to fail the stream. */
  protected abstract see(chunk: Buffer): void;
  /** The stream ended; throws to fail it. */
  protected abstract ended(): void;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.see(chunk);
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.ended();
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}

import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through stream that checks the bytes flowing through it against an expected length and SHA-256:
 * it fails as soon as there are too many bytes, and at the end if there are too few or the hash differs, so
 * whoever consumes it sees an error instead of the end of a tampered or truncated stream. `failure` says why.
 */
export class DigestCheck extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;
  failure: string | undefined;

  constructor(
    private readonly expectedBytes: number,
    private readonly expectedSha256: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expectedBytes) {
      done(this.fail(`more than the expected ${this.expectedBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expectedBytes) {
      done(this.fail(`${this.seen} bytes instead of ${this.expectedBytes}`));
      return;
    }
    const sha = this.hash.digest('hex');
    if (sha !== this.expectedSha256) {
      done(this.fail(`SHA-256 ${sha} instead of ${this.expectedSha256}`));
      return;
    }
    done();
  }

  private fail(why: string): Error {
    this.failure = why;
    return new Error(`stream does not match its digest: ${why}`);
  }
}

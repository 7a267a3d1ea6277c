import { createHash } from 'node:crypto';
import { PassThroughTap } from './pass-through-tap.js';

/**
 * A pass-through stream that checks the bytes flowing through it against an expected length and SHA-256:
 * it fails as soon as there are too many bytes, and at the end if there are too few or the hash differs, so
 * whoever consumes it sees an error instead of the end of a tampered or truncated stream. `failure` says why.
 */
export class DigestCheck extends PassThroughTap {
  private readonly hash = createHash('sha256');
  private seen = 0;
  failure: string | undefined;

  constructor(
    private readonly expectedBytes: number,
    private readonly expectedSha256: string,
  ) {
    super();
  }

  protected see(chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.seen > this.expectedBytes) throw this.fail(`more than the expected ${this.expectedBytes} bytes`);
    this.hash.update(chunk);
  }

  protected ended(): void {
    if (this.seen !== this.expectedBytes)
      throw this.fail(`${this.seen} bytes instead of ${this.expectedBytes}`);
    const sha = this.hash.digest('hex');
    if (sha !== this.expectedSha256) throw this.fail(`SHA-256 ${sha} instead of ${this.expectedSha256}`);
  }

  private fail(why: string): Error {
    this.failure = why;
    return new Error(`stream does not match its digest: ${why}`);
  }
}

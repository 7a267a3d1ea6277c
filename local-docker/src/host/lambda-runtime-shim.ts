import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/**
 * The two pieces of the Lambda Node runtime's response-streaming API that middy uses
 * (`awslambda.streamifyResponse`, `awslambda.HttpResponseStream.from`), backed by a Node ServerResponse, so
 * the local host runs the very same streaming handler a Lambda function URL runs.
 */
export class LocalResponseStream extends Writable {
  private meta: { statusCode?: number; headers?: Record<string, string> } = {};
  private headSent = false;
  /** The first chunk of a body, held back: a body that turns out to be one chunk goes out in one write. */
  private held: Buffer | null = null;

  constructor(private readonly res: ServerResponse) {
    super();
    res.on('close', () => {
      if (!res.writableFinished) this.destroy(new Error('client disconnected'));
    });
  }

  setMetadata(meta: { statusCode?: number; headers?: Record<string, string> }) {
    this.meta = meta;
  }

  /** SSE must reach the client chunk by chunk, from the first byte. */
  private get isEventStream(): boolean {
    const headers = this.meta.headers ?? {};
    const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
    return type.startsWith('text/event-stream');
  }

  private head(contentLength?: number) {
    if (this.headSent) return;
    this.headSent = true;
    const headers = { ...this.meta.headers };
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    this.res.writeHead(this.meta.statusCode ?? 200, headers);
    if (this.isEventStream) this.res.flushHeaders();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
    if (!this.headSent && !this.isEventStream && this.held === null) {
      this.held = chunk;
      cb();
      return;
    }
    this.head();
    if (this.held) {
      this.res.write(this.held);
      this.held = null;
    }
    this.res.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void) {
    if (!this.headSent) {
      // The whole body was one chunk (or none): headers, length and body in one write.
      const body = this.held ?? Buffer.alloc(0);
      this.held = null;
      this.head(body.length);
      this.res.end(body, cb);
      return;
    }
    this.res.end(cb);
  }
}

type StreamingHandler = (event: unknown, stream: LocalResponseStream, context: unknown) => Promise<void>;

/**
 * Adds the streaming API to `globalThis.awslambda` unless a real Lambda runtime provides it (Powertools may
 * already have put its invoke store there). Must run before handlers are built.
 */
export function installLambdaRuntimeShim(): void {
  const g = globalThis as { awslambda?: Record<string, unknown> };
  const lambda = (g.awslambda ??= {});
  lambda.streamifyResponse ??= (fn: StreamingHandler) => fn;
  lambda.HttpResponseStream ??= {
    from(stream: LocalResponseStream, meta: { statusCode?: number; headers?: Record<string, string> }) {
      stream.setMetadata(meta);
      return stream;
    },
  };
}

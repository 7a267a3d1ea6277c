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

  constructor(private readonly res: ServerResponse) {
    super();
    res.on('close', () => {
      if (!res.writableFinished) this.destroy(new Error('client disconnected'));
    });
  }

  setMetadata(meta: { statusCode?: number; headers?: Record<string, string> }) {
    this.meta = meta;
  }

  private head() {
    if (this.headSent) return;
    this.headSent = true;
    this.res.writeHead(this.meta.statusCode ?? 200, this.meta.headers ?? {});
    // SSE must reach the client chunk by chunk.
    this.res.flushHeaders();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
    this.head();
    this.res.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void) {
    this.head();
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

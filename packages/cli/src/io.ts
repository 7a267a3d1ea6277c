import { once } from 'node:events';

/** Where output goes; `write` may wait (a full pipe), so commands await it. */
export interface Sink {
  write(chunk: string | Uint8Array): void | Promise<void>;
}

/**
 * Everything the CLI touches outside itself, so `main` runs in-process in tests with fakes and in the
 * `berth` binary with the real process.
 */
export interface Io {
  stdout: Sink;
  stderr: Sink;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** All of stdin, as UTF-8; undefined when stdin is a terminal (nothing is piped in). */
  readStdin(): Promise<string | undefined>;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}

/** The real process. */
export function processIo(): Io {
  return {
    stdout: sink(process.stdout),
    stderr: sink(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    async readStdin() {
      if (process.stdin.isTTY) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => void process.off('SIGINT', handler);
    },
  };
}

function sink(stream: NodeJS.WriteStream): Sink {
  // `berth exec ... | head`: the reader left; stop quietly like other Unix tools do.
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  return {
    async write(chunk) {
      // Respect the pipe's pace: a fast stream into a slow reader must not pile up in memory.
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
  };
}

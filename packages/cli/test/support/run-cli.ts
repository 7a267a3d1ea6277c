import type { ServerResponse } from 'node:http';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/io.js';
import { json, sseHead, type SeenRequest } from '../../../sdk/test/support/fake-berth.js';

export { API_KEY, apiError, json, sleep, useFakeBerth, view } from '../../../sdk/test/support/fake-berth.js';

export interface CliRun {
  code: number;
  stdout: string;
  /** stdout's exact bytes (for binary output). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Piped stdin; undefined: a terminal. */
  stdin?: string;
  /** Called once the command has installed its Ctrl-C handler; call `interrupt` to press Ctrl-C. */
  onInterruptable?: (interrupt: () => void) => void;
}

/** `berth <argv>` in-process, with captured output and an injected environment (no process.env). */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: Io = {
    stdout: { write: (c) => void out.push(Buffer.from(c)) },
    stderr: { write: (c) => void err.push(Buffer.from(c)) },
    env: options.env ?? {},
    cwd: options.cwd ?? '/nonexistent',
    readStdin: async () => options.stdin,
    onInterrupt(handler) {
      options.onInterruptable?.(handler);
      return () => {};
    },
  };
  const code = await main(argv, io);
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/** Handlers by `METHOD path`; anything else is a 404 in API.md's shape. */
export function routes(table: Record<string, (req: SeenRequest, res: ServerResponse) => unknown>) {
  return (req: SeenRequest, res: ServerResponse) => {
    const handler = table[`${req.method} ${req.path}`];
    if (handler) return handler(req, res);
    json(res, 404, {
      error: { code: 'not_found', message: `no route ${req.method} ${req.path}`, requestId: 'r404' },
    });
  };
}

/** An SSE answer with these events (data JSON-encoded), then the end. */
export function sse(res: ServerResponse, events: [string, unknown][]) {
  sseHead(res);
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

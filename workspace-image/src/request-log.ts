import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One JSON line per request once it is over. Only method, path (no query string: it may carry file names),
 * status and duration: never headers (the token) or bodies (file contents).
 */
export function logRequest(
  log: (line: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  startedAt: number,
): void {
  res.once('close', () => {
    log(
      JSON.stringify({
        time: new Date().toISOString(),
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - startedAt),
        ...(!res.writableFinished && { aborted: true }),
      }),
    );
  });
}

export const stdoutLog = (line: string) => {
  process.stdout.write(`${line}\n`);
};

import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the handler adds to a request's line: why auth refused it (`malformed`, `expired`, ...). */
export interface RequestLogFields {
  authRefused?: string;
}

/**
 * One JSON line per request once it is over. Only method, path (no query string: it may carry file names),
 * status, duration and the returned fields as they are at the end: never headers (the token) or bodies
 * (file contents).
 */
export function logRequest(
  log: (line: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  startedAt: number,
): RequestLogFields {
  const fields: RequestLogFields = {};
  res.once('close', () => {
    log(
      JSON.stringify({
        time: new Date().toISOString(),
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - startedAt),
        ...(!res.writableFinished && { aborted: true }),
        ...(fields.authRefused && { authRefused: fields.authRefused }),
      }),
    );
  });
  return fields;
}

export const stdoutLog = (line: string) => {
  process.stdout.write(`${line}\n`);
};

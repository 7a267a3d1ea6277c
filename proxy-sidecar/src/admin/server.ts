import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type * as z from '@berth/protocol/validation';
import type { Logger } from '@aws-lambda-powertools/logger';
import { headerRulesSchema, policyUpdateSchema, redactPolicy } from '../policy/egress-policy.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Stats } from '../stats.js';
import { hasAdminSecret } from './auth.js';

/** What the admin API works on. */
export interface AdminDeps {
  secret: string;
  policy: PolicyStore;
  stats: Stats;
  logger: Logger;
}

const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'payload_too_large', `body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
  }
}

function validate<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const message = result.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
      .join('; ');
    throw new HttpError(400, 'invalid_request', message);
  }
  return result.data;
}

// `update-rules` takes the bare array from the issue, or `{rules:[...]}` / `{headerRules:[...]}`.
const rulesBody = (value: unknown): unknown => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'rules' || keys[0] === 'headerRules')) {
      return (value as Record<string, unknown>)[keys[0]];
    }
  }
  return value;
};

async function route(deps: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!hasAdminSecret(req.headers, deps.secret)) {
    res.setHeader('www-authenticate', 'Bearer');
    throw new HttpError(401, 'unauthorized', 'missing or wrong admin secret');
  }
  const path = (req.url ?? '/').split('?')[0];
  const key = `${req.method} ${path}`;
  switch (key) {
    case 'GET /health':
      return send(res, 200, { status: 'ok', policyVersion: deps.policy.current().version });
    case 'GET /admin/stats':
      return send(res, 200, deps.stats.snapshot(deps.policy.current().version));
    case 'GET /admin/config':
      return send(res, 200, {
        version: deps.policy.current().version,
        ...redactPolicy(deps.policy.current().policy),
      });
    case 'POST /admin/config': {
      const update = validate(policyUpdateSchema, await readJson(req));
      let snapshot;
      try {
        snapshot = deps.policy.update(update);
      } catch (error) {
        throw new HttpError(400, 'invalid_request', (error as Error).message);
      }
      deps.logger.info('policy updated', { policyVersion: snapshot.version, keys: Object.keys(update) });
      return send(res, 200, { applied: true, version: snapshot.version, ...redactPolicy(snapshot.policy) });
    }
    case 'POST /admin/update-rules': {
      const rules = validate(headerRulesSchema, rulesBody(await readJson(req)));
      const snapshot = deps.policy.update({ headerRules: rules });
      deps.logger.info('header rules updated', { policyVersion: snapshot.version, rules: rules.length });
      return send(res, 200, { applied: true, version: snapshot.version, rules: rules.length });
    }
    default: {
      const known = ['/health', '/admin/stats', '/admin/config', '/admin/update-rules'].includes(path ?? '');
      if (known) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      throw new HttpError(404, 'not_found', `no route ${key}`);
    }
  }
}

/**
 * The admin API, on its own listener. Every call (health included) needs the shared secret.
 * Errors are `{"error":{"code","message"}}`; a rejected update changes nothing.
 */
export function createAdminServer(deps: AdminDeps): Server {
  return createServer(
    { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000 },
    (req, res) => {
      route(deps, req, res).catch((error: unknown) => {
        if (error instanceof HttpError) {
          send(res, error.status, { error: { code: error.code, message: error.message } });
          return;
        }
        deps.logger.error('admin request failed', error as Error);
        send(res, 500, { error: { code: 'internal_error', message: 'internal error' } });
      });
    },
  );
}

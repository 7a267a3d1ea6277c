import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '@berth/protocol/validation';
import type {
  SidecarCredentialRequest,
  SidecarCredentialResponse,
  SidecarHealthResponse,
} from '@berth/protocol';
import { BodyTooLarge, readBounded, SIDECAR_ADMIN } from '@berth/protocol';
import { checkAdminBearer } from './admin-auth.js';
import type { ProxyCredentialHolder } from './proxy-credential-holder.js';

/** What the relay's admin API works on. */
export interface RelayAdminDeps {
  workspaceId: string;
  publicKey: KeyObject;
  credential: ProxyCredentialHolder;
  /** Milliseconds. */
  clock: () => number;
  logger: Logger;
}

/** A credential request is one token: anything near this size is not one. */
const MAX_BODY_BYTES = 16 * 1024;

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

const credentialRequest = z.strictObject(
  {
    token: z.string({ error: 'token: must be a string' }),
    workspaceId: z.optional(z.string({ error: 'workspaceId: must be a string' })),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : 'must be an object {"token": "..."}',
  },
);

async function readCredentialRequest(req: IncomingMessage): Promise<SidecarCredentialRequest> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send application/json');
  }
  let text: string;
  try {
    const body = await readBounded(req.iterator({ destroyOnReturn: false }), MAX_BODY_BYTES, {
      declaredLength: req.headers['content-length'],
    });
    text = Buffer.from(body).toString('utf8');
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      throw new HttpError(413, 'payload_too_large', `body is over ${MAX_BODY_BYTES} bytes`);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
  }
  const result = credentialRequest.safeParse(json);
  if (!result.success) {
    throw new HttpError(400, 'invalid_request', result.error.issues.map((i) => i.message).join('; '));
  }
  return result.data;
}

async function route(deps: RelayAdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const nowSeconds = () => Math.floor(deps.clock() / 1000);
  if (path === SIDECAR_ADMIN.healthPath) {
    if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', `use GET on ${path}`);
    const health: SidecarHealthResponse = {
      status: 'ok',
      credential: deps.credential.current(nowSeconds()) !== null,
    };
    return send(res, 200, health);
  }
  // Everything but the health check is the control plane's alone, unknown paths included.
  const auth = checkAdminBearer(req.headers['authorization'], deps.publicKey, deps.workspaceId, nowSeconds());
  if (!auth.ok) {
    res.setHeader('www-authenticate', 'Bearer');
    const message =
      auth.reason === 'missing'
        ? 'a proxy token for this workspace is required (Authorization: Bearer <token>)'
        : `the admin token was refused (${auth.reason})`;
    throw new HttpError(401, 'unauthorized', message);
  }
  if (path !== SIDECAR_ADMIN.credentialPath) throw new HttpError(404, 'not_found', `no route ${path}`);
  if (req.method !== 'PUT') throw new HttpError(405, 'method_not_allowed', `use PUT on ${path}`);

  const { token, workspaceId: servedId } = await readCredentialRequest(req);
  const taken = deps.credential.offer(token, nowSeconds(), servedId);
  const ids = { workspaceId: deps.workspaceId, ...(servedId && { servedWorkspaceId: servedId }) };
  if (!taken.ok) {
    deps.logger.warn('proxy credential refused', { ...ids, reason: taken.reason });
    throw new HttpError(400, 'invalid_credential', `the proxy credential was refused (${taken.reason})`);
  }
  deps.logger.info('proxy credential updated', { ...ids, expiresAt: taken.expiresAt });
  const answer: SidecarCredentialResponse = { applied: true, expiresAt: taken.expiresAt };
  return send(res, 200, answer);
}

/**
 * The relay's admin API (SIDECAR_ADMIN in @berth/protocol), on its own listener: `GET /health` for anyone
 * (the container health check), `PUT /admin/credential` for the control plane only. Errors are
 * `{"error":{"code","message"}}`; a refused call changes nothing. No token is ever logged or echoed.
 */
export function createRelayAdminServer(deps: RelayAdminDeps): Server {
  return createServer(
    { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000 },
    (req, res) => {
      route(deps, req, res).catch((error: unknown) => {
        // The body was not (all) read: close the connection rather than read the rest.
        if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
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

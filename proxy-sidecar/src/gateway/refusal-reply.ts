import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pathForAudit } from '../audit.js';
import type { SharedContext } from '../forward/context.js';
import { RequestRecord } from '../forward/request-record.js';
import { ConnectReply, sendError } from '../forward/responses.js';
import { parseAbsoluteTarget, parseConnectTarget } from '../forward/target.js';
import type { Refusal } from './admission.js';

/** Written into audit lines when no credential named a workspace. */
export const UNKNOWN_WORKSPACE = 'unknown';

/** An audit record for a request the gateway answers itself, with its target when it parses. */
function recordFor(shared: SharedContext, req: IncomingMessage, workspaceId: string | null, tunnel: boolean) {
  const record = new RequestRecord(
    { ...shared, workspaceId: workspaceId ?? UNKNOWN_WORKSPACE },
    tunnel ? 'CONNECT' : (req.method ?? 'GET'),
    tunnel,
  );
  if (tunnel) {
    const target = parseConnectTarget(req.url ?? '');
    record.host = target?.host ?? '';
    record.port = target?.port ?? 0;
  } else {
    const target = parseAbsoluteTarget(req.url ?? '');
    record.host = target?.host ?? '';
    record.port = target?.port ?? 0;
    record.path = target ? pathForAudit(target.path) : null;
  }
  return record;
}

const mark = (record: RequestRecord, refusal: Refusal | null) => {
  if (refusal === null) record.fail('client_aborted', false);
  else if (refusal.status === 503) record.fail(refusal.code, false);
  else record.block(refusal.code);
};

/**
 * Answers a plain-HTTP request with the gateway's refusal (the proxy's usual error shape) and audits it;
 * `refusal` null: the client left while it was being admitted (audit only). The connection is closed:
 * the body was not read.
 */
export function refuseRequest(
  shared: SharedContext,
  req: IncomingMessage,
  res: ServerResponse,
  workspaceId: string | null,
  refusal: Refusal | null,
): void {
  const record = recordFor(shared, req, workspaceId, false);
  mark(record, refusal);
  if (refusal === null || res.destroyed) return record.finish(0);
  res.once('close', () => record.finish(res.headersSent ? res.statusCode : 0));
  sendError(res, refusal.status, refusal.header, refusal.code, refusal.message, true, refusal.headers);
}

/** The same for a CONNECT: one error response on the raw socket, then it closes. */
export function refuseConnect(
  shared: SharedContext,
  req: IncomingMessage,
  client: Duplex,
  workspaceId: string | null,
  refusal: Refusal | null,
): void {
  const record = recordFor(shared, req, workspaceId, true);
  mark(record, refusal);
  if (refusal === null || client.destroyed) return record.finish(0);
  client.once('close', () => record.finish(refusal.status));
  new ConnectReply(client).error(
    refusal.status,
    refusal.header,
    refusal.code,
    refusal.message,
    refusal.headers,
  );
}

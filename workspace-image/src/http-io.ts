import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentHttpError, agentInvalidRequest } from './errors.js';
import { WORKSPACE_AGENT_LIMITS, BodyTooLarge, readBounded } from '@berth/protocol';

/** Reads the whole request body, refusing more than `limit` bytes with 413 (by header or by count). */
export async function readBody(
  req: IncomingMessage,
  limit: number = WORKSPACE_AGENT_LIMITS.maxBodyBytes,
): Promise<Buffer> {
  try {
    const body = await readBounded(req, limit, { declaredLength: req.headers['content-length'] });
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    throw new AgentHttpError('payload_too_large', `request body exceeds ${limit} bytes`);
  }
}

/** Reads a JSON object body: 415 unless content-type is application/json, 400 if it does not parse. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AgentHttpError('unsupported_media_type', 'content-type must be application/json');
  }
  const body = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw agentInvalidRequest('body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw agentInvalidRequest('body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

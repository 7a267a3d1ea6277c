import type { StopRequest } from '@berth/core';

/** Format version: a worker rejects what it cannot read instead of guessing at it. */
const VERSION = 1;
/** Far above any workspace or tenant id; bounds what a malformed message can make the worker log. */
const MAX_ID_LENGTH = 128;

/** A stop-queue message body that is not a version-1 stop request. */
export class MalformedStopMessage extends Error {
  constructor(reason: string) {
    super(`malformed stop message: ${reason}`);
    this.name = 'MalformedStopMessage';
  }
}

/** The stop queue's message body for `stop` (read back by {@link parseStopMessage}). */
export function stopMessageBody(stop: StopRequest): string {
  return JSON.stringify({ v: VERSION, workspaceId: stop.workspaceId, tenantId: stop.tenantId });
}

/** The stop request in a stop-queue message body; throws {@link MalformedStopMessage} on anything else. */
export function parseStopMessage(body: string): StopRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedStopMessage('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedStopMessage('not an object');
  }
  const msg = parsed as Record<string, unknown>;
  if (msg.v !== VERSION) throw new MalformedStopMessage(`unsupported version ${JSON.stringify(msg.v)}`);
  return { workspaceId: id(msg, 'workspaceId'), tenantId: id(msg, 'tenantId') };
}

function id(msg: Record<string, unknown>, field: 'workspaceId' | 'tenantId'): string {
  const value = msg[field];
  if (typeof value !== 'string' || value === '') {
    throw new MalformedStopMessage(`${field} must be a non-empty string`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new MalformedStopMessage(`${field} is longer than ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

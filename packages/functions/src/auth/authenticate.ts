import type { Logger } from '@aws-lambda-powertools/logger';
import { ApiError } from '@berth/core';
import { header, type ApiEvent } from '../http/api-event.js';
import { bearerKey } from './bearer-key.js';
import type { TenantResolver } from './tenant-resolver.js';

/** `Authorization: Bearer <key>` → tenant, attached to the event and to every log line after it. */
export async function authenticate(
  event: ApiEvent,
  resolver: () => Promise<TenantResolver>,
  logger: Logger,
): Promise<void> {
  const key = bearerKey(header(event, 'authorization'));
  if (!key) throw new ApiError('unauthorized', 'missing API key: send Authorization: Bearer <key>');
  const tenantId = await (await resolver()).resolve(key);
  if (!tenantId) throw new ApiError('unauthorized', 'invalid API key');
  event.berth = { ...event.berth, tenantId };
  logger.appendKeys({ tenantId });
}

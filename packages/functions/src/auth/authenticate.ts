import { ApiError } from '@berth/core';
import type { AppDeps } from '../app-deps.js';
import { header, type ApiEvent } from '../http/api-event.js';
import { bearerKey } from './bearer-key.js';

/**
 * How the API handler learns who sent a request: the tenant id, or an `unauthorized` ApiError. Locally the
 * handler checks the key itself (byApiKey); deployed, API Gateway's authorizer has (byAuthorizer).
 */
export type Authenticate = (event: ApiEvent, deps: () => Promise<AppDeps>) => Promise<string>;

/** `Authorization: Bearer <key>` → tenant, by the deps' key list. */
export const byApiKey: Authenticate = async (event, deps) => {
  const key = bearerKey(header(event, 'authorization'));
  if (!key) throw new ApiError('unauthorized', 'missing API key: send Authorization: Bearer <key>');
  const tenantId = await (await deps()).tenants.resolve(key);
  if (!tenantId) throw new ApiError('unauthorized', 'invalid API key');
  return tenantId;
};

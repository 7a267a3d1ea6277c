import { ApiError } from '@berth/core';
import type { Authenticate } from './authenticate.js';

/**
 * Deployed: the REST API's Lambda authorizer (api-authorizer entry) checked the key and names the tenant in
 * its answer's context, which API Gateway hands over with the request (rest-api-event.ts puts it where a
 * payload 2.0 Lambda authorizer's goes). Only API Gateway may invoke the API functions (their resource
 * policy), so a client cannot write that context; a request without it (a method left without the
 * authorizer) is refused, never served as some tenant. The functions hold no key list (no SSM read).
 */
export const byAuthorizer: Authenticate = async (event) => {
  const tenantId = event.requestContext.authorizer?.lambda?.tenantId;
  if (typeof tenantId !== 'string' || tenantId === '') {
    throw new ApiError('unauthorized', 'the request carries no authorizer answer');
  }
  return tenantId;
};

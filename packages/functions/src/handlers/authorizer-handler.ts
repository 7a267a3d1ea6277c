import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { SERVICE } from '@berth/core';
import { bearerKey } from '../auth/bearer-key.js';
import type { TenantResolver } from '../auth/tenant-resolver.js';
import { usagePlanKeyValue } from '../auth/usage-plan-key.js';
import { headerIn } from '../http/api-event.js';
import { createObservability, type HandlerObservability } from '../observability.js';
import { lazy } from './lazy.js';

/** The one error message API Gateway answers with 401 (its UNAUTHORIZED gateway response, API.md's shape). */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * Every method of the API's stage (`arn:…:<apiId>/<stage>/*\/*`): a result is cached per Authorization header
 * and reused for whatever method that key calls next, so it must not name only the one that asked first.
 */
export function wholeStage(methodArn: string): string {
  const [api, stage] = methodArn.split('/');
  return `${api}/${stage}/*/*`;
}

/**
 * The REST API's Lambda authorizer (REQUEST, identity source the Authorization header, result cached): it
 * checks `Authorization: Bearer <key>` with the same tenant resolver the API function uses, and allows the
 * request with the tenant as context and the tenant's usage-plan key (usage-plan-key.ts), so API Gateway
 * throttles each tenant on its own without a second header. A missing or unknown key is 401; a key store
 * that cannot be read is an error (API Gateway answers 5XX), never an Allow.
 */
export function createAuthorizerHandler(
  getTenants: () => Promise<TenantResolver>,
  opts: { observability?: HandlerObservability } = {},
) {
  const { logger } = opts.observability ?? createObservability(`${SERVICE.api}-authorizer`);
  const tenants = lazy(getTenants);
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const key = bearerKey(headerIn(event.headers, 'authorization'));
    if (!key) throw new Error(UNAUTHORIZED);
    let tenantId: string | undefined;
    try {
      tenantId = await (await tenants()).resolve(key);
    } catch (e) {
      logger.error('API keys unavailable', { error: e as Error });
      throw new Error('API keys unavailable', { cause: e });
    }
    if (!tenantId) {
      logger.info('unknown API key refused', { requestId: event.requestContext.requestId });
      throw new Error(UNAUTHORIZED);
    }
    return {
      principalId: tenantId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeStage(event.methodArn) }],
      },
      context: { tenantId },
      usageIdentifierKey: usagePlanKeyValue(event.requestContext.apiId, tenantId),
    };
  };
}

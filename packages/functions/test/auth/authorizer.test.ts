import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RotatingTenantResolver } from '../../src/auth/rotating-tenant-resolver.js';
import { ssmApiKeys, type ParameterReader } from '../../src/auth/ssm-api-keys.js';
import { usagePlanKeyValue } from '../../src/auth/usage-plan-key.js';
import { createAuthorizerHandler, UNAUTHORIZED, wholeStage } from '../../src/handlers/authorizer-handler.js';
import { restApiEvent } from '../support/rest-api-event.js';

const KEY_A = 'keyAAAAAAAAAAAA';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/api/POST/v1/workspaces';

/** A REQUEST authorizer event as API Gateway sends it: the request's 1.0 fields plus type and methodArn. */
function authorizerEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  const { body: _b, isBase64Encoded: _i, ...request } = restApiEvent('POST', '/v1/workspaces', { headers });
  return { ...request, type: 'REQUEST', methodArn: METHOD_ARN } as APIGatewayRequestAuthorizerEvent;
}

/** The authorizer over the SSM key list (Powertools parameters), SSM faked. */
function authorizer(ssm: ParameterReader['get']) {
  const reads: string[] = [];
  const provider: ParameterReader = {
    get: async (name, options) => {
      reads.push(name);
      return ssm(name, options);
    },
  };
  const resolver = new RotatingTenantResolver(ssmApiKeys('/berth/test/api-keys', provider));
  const handler = createAuthorizerHandler(async () => resolver, {
    observability: {
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'BerthTest' }),
    },
  });
  return { handler, reads };
}

describe('API authorizer', () => {
  it('a valid key: Allow on the whole stage, the tenant as context, its usage-plan key', async () => {
    const { handler, reads } = authorizer(async () => `tenantA:${KEY_A},tenantB:keyBBBBBBBBBBBB`);
    const result = await handler(authorizerEvent({ Authorization: `Bearer ${KEY_A}` }));
    expect(result).toEqual({
      principalId: 'tenantA',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/api/*/*',
          },
        ],
      },
      context: { tenantId: 'tenantA' },
      usageIdentifierKey: 'berth-abc123-tenant-tenantA',
    });
    expect(reads).toEqual(['/berth/test/api-keys']);
  });

  it('reads the header whatever its case', async () => {
    const { handler } = authorizer(async () => `tenantA:${KEY_A}`);
    expect((await handler(authorizerEvent({ authorization: `bearer ${KEY_A}` }))).principalId).toBe(
      'tenantA',
    );
  });

  it.each([
    ['no Authorization header', {}],
    ['not a bearer key', { Authorization: `Basic ${KEY_A}` }],
    ['an unknown key', { Authorization: 'Bearer keyZZZZZZZZZZZZ' }],
  ])('%s is Unauthorized (401)', async (_, headers: Record<string, string>) => {
    const { handler } = authorizer(async () => `tenantA:${KEY_A}`);
    await expect(handler(authorizerEvent(headers))).rejects.toThrow(new Error(UNAUTHORIZED));
  });

  it('SSM unavailable is an error, not an Allow nor a 401', async () => {
    const { handler } = authorizer(async () => {
      throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
    });
    const failure = await handler(authorizerEvent({ Authorization: `Bearer ${KEY_A}` })).catch(
      (e: Error) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).not.toBe(UNAUTHORIZED);
    expect((failure as Error).message).toMatch(/API keys unavailable/);
  });

  it('an empty key parameter is an error too', async () => {
    const { handler } = authorizer(async () => '');
    await expect(handler(authorizerEvent({ Authorization: `Bearer ${KEY_A}` }))).rejects.toThrow(
      /API keys unavailable/,
    );
  });
});

describe('usage-plan key and policy resource', () => {
  it('is 20+ characters even for the shortest tenant id, and per API', () => {
    expect(usagePlanKeyValue('a1b2c3d4e5', 'a').length).toBeGreaterThanOrEqual(20);
    expect(usagePlanKeyValue('a1b2c3d4e5', 't')).not.toBe(usagePlanKeyValue('f6g7h8i9j0', 't'));
  });

  it('the policy covers every method and path of the stage', () => {
    expect(wholeStage('arn:aws:execute-api:eu-west-1:1:api9/prod/GET/v1/workspaces/ws_1/files')).toBe(
      'arn:aws:execute-api:eu-west-1:1:api9/prod/*/*',
    );
  });
});

import { readFileSync } from 'node:fs';
import { answersStream, apiOperationList } from '../../../protocol/src/api/routes.js';
import { createApiHandler, StaticTenantResolver, type ApiEvent, type ApiResponse } from '@berth/functions';
import { describe, expect, it } from 'vitest';
import { makeDeps } from '../../../core/test/support/make-deps.js';
import { byAuthorizer } from '../../src/auth/authorizer-context.js';
import { handler as openapiHandler } from '../../src/lambda/api-openapi.js';
import { bufferedApiRoutes } from '../../src/routes/buffered-routes.js';
import { openapiRoutes } from '../../src/routes/openapi.js';
import { streamedApiRoutes } from '../../src/routes/streamed-routes.js';
import { lambdaContext } from '../support/api-event.js';
import { KEY_A, quietObservability, type TestAppDeps } from '../support/app.js';
import { restApiEvent, type RestApiEventOptions } from '../support/rest-api-event.js';

/** The buffered function as deployed (lambda/api.ts): its routes only, the tenant from the authorizer. */
function deployedApi() {
  const deps: TestAppDeps = Object.assign(makeDeps(), {
    // A key list the deployed function does not have: a test that it is never consulted.
    tenants: StaticTenantResolver.parse(`tenantA:${KEY_A}`),
  });
  const handler = createApiHandler(() => deps, {
    routes: bufferedApiRoutes,
    authenticate: byAuthorizer,
    observability: quietObservability(),
  });
  return async (method: string, path: string, opts: RestApiEventOptions = {}) => {
    const event = restApiEvent(method, path, {
      ...opts,
      headers: { 'Content-Type': 'application/json', ...opts.headers },
    });
    const res = (await handler(event as unknown as ApiEvent, lambdaContext())) as ApiResponse;
    return { ...res, json: JSON.parse(res.body as string) };
  };
}

const createBody = JSON.stringify({ conversationId: 'conv-1' });

describe('the deployed API functions', () => {
  it("serve the tenant named by the authorizer's answer, with no key in the request", async () => {
    const call = deployedApi();
    const created = await call('POST', '/v1/workspaces', {
      body: createBody,
      authorizer: { tenantId: 'tenantA' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json.id as string;
    const own = await call('GET', `/v1/workspaces/${id}`, {
      resource: '/v1/workspaces/{id}',
      authorizer: { tenantId: 'tenantA' },
    });
    expect(own.statusCode).toBe(200);
    // Another tenant's authorizer answer does not reach it.
    const other = await call('GET', `/v1/workspaces/${id}`, {
      resource: '/v1/workspaces/{id}',
      authorizer: { tenantId: 'tenantB' },
    });
    expect(other.statusCode).toBe(404);
  });

  it('refuse a request without an authorizer answer, even with a valid key', async () => {
    const call = deployedApi();
    const answers: (Record<string, string> | undefined)[] = [
      undefined,
      { tenantId: '' },
      { other: 'tenantA' },
    ];
    for (const authorizer of answers) {
      const res = await call('POST', '/v1/workspaces', {
        body: createBody,
        headers: { Authorization: `Bearer ${KEY_A}` },
        ...(authorizer && { authorizer }),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json.error.code).toBe('unauthorized');
    }
  });

  it("split the protocol's operations: streamed ones to api-stream, the document alone, the rest to api", () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    const ops = apiOperationList();
    const document = ops.filter((op) => op.operationId === 'getOpenApiDocument');
    expect(streamedApiRoutes.map(key).sort()).toEqual(ops.filter(answersStream).map(key).sort());
    expect(openapiRoutes.map(key)).toEqual(document.map(key));
    expect(bufferedApiRoutes.map(key).sort()).toEqual(
      ops
        .filter((op) => !answersStream(op) && !document.includes(op))
        .map(key)
        .sort(),
    );
  });

  it('answer GET /v1/openapi.json from the document function with the checked-in document', async () => {
    const res = await openapiHandler();
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    const checkedIn = readFileSync(new URL('../../../protocol/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(res.body as string)).toEqual(JSON.parse(checkedIn));
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { BerthConfigInput } from '@berth/core';
import {
  StaticTenantResolver,
  apiRoutes,
  createApiHandler,
  type ApiEvent,
  type ApiResponse,
  type AppDeps,
  type HandlerObservability,
} from '@berth/functions';
import { makeDeps, type TestDeps } from '../../../core/test/support/make-deps.js';
import { apiEvent, lambdaContext, type ApiEventOptions } from './api-event.js';
import { checkAgainstOpenApi } from './openapi-check.js';

export const KEY_A = 'keyAAAAAAAA';
export const KEY_B = 'keyBBBBBBBB';

/** Powertools quiet: no log lines, no EMF blobs on stdout. */
export function quietObservability(): HandlerObservability {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: 'berth-api-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'BerthTest', serviceName: 'berth-api-test' }),
  };
}

export type TestAppDeps = TestDeps & AppDeps;

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
  /** The body parsed as JSON, when it is JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  event: ApiEvent;
}

/** The real API handler (non-streaming, as behind API Gateway) over in-memory fakes, with tenants A and B. */
export function makeApi(opts: { config?: BerthConfigInput; maxBodyBytes?: number } = {}) {
  const deps: TestAppDeps = Object.assign(makeDeps({ config: opts.config }), {
    tenants: StaticTenantResolver.parse(`tenantA:${KEY_A},tenantB:${KEY_B}`),
  });
  const observability = quietObservability();
  const handler = createApiHandler(() => deps, {
    routes: apiRoutes,
    streaming: false,
    observability,
    maxBodyBytes: opts.maxBodyBytes,
  });

  async function call(
    method: string,
    path: string,
    o: ApiEventOptions & { key?: string | null } = {},
  ): Promise<Answer> {
    const key = o.key === undefined ? KEY_A : o.key;
    const headers = { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...o.headers };
    const event = apiEvent(method, path, { ...o, headers });
    const res = (await handler(event, lambdaContext())) as ApiResponse;
    if (typeof res.body !== 'string') throw new Error('non-streaming handler answered a stream');
    const type = res.headers?.['content-type'] ?? '';
    const answer: Answer = {
      statusCode: res.statusCode,
      headers: res.headers ?? {},
      body: res.body,
      isBase64Encoded: res.isBase64Encoded,
      json: type.startsWith('application/json') && res.body ? JSON.parse(res.body) : undefined,
      event,
    };
    checkAgainstOpenApi({ method, path, ...answer }); // every answer is one the OpenAPI document describes
    return answer;
  }

  return { deps, handler, call, observability };
}

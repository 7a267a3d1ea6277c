import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiEvent } from './api-event.js';

/** An API Gateway REST API Lambda proxy request (payload format 1.0), as the deployed API hands it over. */
export type RestApiEvent = APIGatewayProxyEvent;

/** What reaches the API handler: a REST API (v1) proxy event in the cloud, a v2-shaped one locally. */
export type IncomingApiEvent = ApiEvent | RestApiEvent;

export const isRestApiEvent = (event: IncomingApiEvent): event is RestApiEvent =>
  typeof (event as Partial<RestApiEvent>).httpMethod === 'string' &&
  (event as Partial<ApiEvent>).requestContext?.http === undefined;

/**
 * Every value of each name, names lower-cased when they are header names (payload 2.0 sends them so). The
 * multi-value map has every value; the single-value one only the last, so it only fills gaps.
 */
function valuesOf(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  lowerCaseNames: boolean,
): Record<string, string[]> {
  const all: Record<string, string[]> = {};
  const name = (k: string) => (lowerCaseNames ? k.toLowerCase() : k);
  for (const [k, values] of Object.entries(multi ?? {})) if (values) (all[name(k)] ??= []).push(...values);
  for (const [k, value] of Object.entries(single ?? {})) {
    if (value !== undefined && !(name(k) in all)) all[name(k)] = [value];
  }
  return all;
}

/** Repeated values joined as payload 2.0 joins them: `a,b`. */
const joined = (values: Record<string, string[]>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.join(',')]));

/**
 * A REST API (v1) proxy event as the payload 2.0 event every route reads (ApiEvent): method and path (the
 * resource path, without the stage), headers and query joined as 2.0 joins repeated values, body as sent,
 * the request id, the authorizer's context. Path parameters are left to the router (it matches the path, as for 2.0 events), so they
 * are decoded in one place (path-params.ts). A 2.0 event is returned as it is.
 */
export function toApiEvent(event: IncomingApiEvent): ApiEvent {
  if (!isRestApiEvent(event)) return event;
  const ctx = event.requestContext;
  const queryValues = valuesOf(event.queryStringParameters, event.multiValueQueryStringParameters, false);
  const query = joined(queryValues);
  const rawQueryString = new URLSearchParams(
    Object.entries(queryValues).flatMap(([k, values]) => values.map((v): [string, string] => [k, v])),
  ).toString();
  const headers = joined(valuesOf(event.headers, event.multiValueHeaders, true));
  return {
    version: '2.0',
    routeKey: `${event.httpMethod} ${event.resource}`,
    rawPath: event.path,
    rawQueryString,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    stageVariables: event.stageVariables ?? undefined,
    body: event.body ?? undefined,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName: ctx.domainName ?? headers.host ?? '',
      domainPrefix: ctx.domainPrefix ?? '',
      http: {
        method: event.httpMethod,
        path: event.path,
        protocol: ctx.protocol,
        sourceIp: ctx.identity?.sourceIp ?? '',
        userAgent: ctx.identity?.userAgent ?? headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: `${event.httpMethod} ${event.resource}`,
      stage: ctx.stage,
      time: ctx.requestTime ?? new Date(ctx.requestTimeEpoch).toUTCString(),
      timeEpoch: ctx.requestTimeEpoch,
      // A REST API Lambda authorizer's context fields sit on `authorizer` itself (with principalId).
      ...(ctx.authorizer && { authorizer: { lambda: { ...ctx.authorizer } } }),
    },
  };
}

/**
 * First middleware of the API handler: whatever API Gateway sent becomes an ApiEvent before anything (auth,
 * body limit, routing, error bodies) reads it. Typed on ApiEvent like the rest of the chain; the Lambda
 * entry may receive either payload (IncomingApiEvent).
 */
export const apiEventNormalizer = (): MiddlewareObj<ApiEvent> => ({
  before: async (request) => {
    request.event = toApiEvent(request.event as IncomingApiEvent);
  },
});

import type { APIGatewayEventRequestContextV2, APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * A request as every route reads it: API Gateway's payload 2.0 shape (the local host builds it; a deployed
 * REST API's 1.0 events are turned into it first, rest-api-event.ts), with what our middlewares attach.
 */
export interface ApiEvent extends APIGatewayProxyEventV2 {
  /** Deployed: the Lambda authorizer's context, where payload 2.0 puts it (auth/authorizer-context.ts). */
  requestContext: APIGatewayEventRequestContextV2 & { authorizer?: { lambda?: Record<string, unknown> } };
  berth?: { tenantId?: string };
}

/** A header's value by name, whatever its case (payload 2.0 lower-cases names; REST authorizers do not). */
export const headerIn = (
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined => {
  const h = headers ?? {};
  const lower = name.toLowerCase();
  return h[name] ?? h[lower] ?? Object.entries(h).find(([k]) => k.toLowerCase() === lower)?.[1];
};

export const header = (event: ApiEvent, name: string): string | undefined => headerIn(event.headers, name);

export const requestIdOf = (event: ApiEvent): string => event.requestContext?.requestId ?? 'unknown';

export const methodOf = (event: ApiEvent): string => event.requestContext?.http?.method ?? 'GET';

export const pathOf = (event: ApiEvent): string => event.rawPath ?? event.requestContext?.http?.path ?? '/';

/** The raw body bytes, whatever API Gateway's encoding. */
export const bodyBytes = (event: ApiEvent): Buffer =>
  event.body === undefined || event.body === null
    ? Buffer.alloc(0)
    : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

export const tenantOf = (event: ApiEvent): string => {
  const t = event.berth?.tenantId;
  if (!t) throw new Error('handler reached without authentication');
  return t;
};

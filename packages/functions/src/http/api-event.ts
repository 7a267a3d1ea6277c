import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An API Gateway HTTP API (payload v2) request, with what our middlewares attach. */
export interface ApiEvent extends APIGatewayProxyEventV2 {
  berth?: { tenantId?: string };
}

export const header = (event: ApiEvent, name: string): string | undefined => {
  const h = event.headers ?? {};
  return h[name] ?? h[name.toLowerCase()] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
};

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

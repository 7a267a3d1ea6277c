import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ApiEvent } from '@berth/functions';

export interface ApiEventOptions {
  headers?: Record<string, string>;
  /** An object is sent as JSON (with its content type unless headers say otherwise); a string or Buffer as is. */
  body?: unknown;
  query?: Record<string, string>;
  /** Send the body base64-encoded, as API Gateway does for binary media. */
  base64?: boolean;
  requestId?: string;
}

/** An API Gateway HTTP API (payload format 2.0) event, as API Gateway hands it to the Lambda. */
export function apiEvent(method: string, path: string, opts: ApiEventOptions = {}): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  let raw: Buffer | undefined;
  if (Buffer.isBuffer(opts.body)) raw = opts.body;
  else if (typeof opts.body === 'string') raw = Buffer.from(opts.body);
  else if (opts.body !== undefined) {
    raw = Buffer.from(JSON.stringify(opts.body));
    headers['content-type'] ??= 'application/json';
  }
  if (raw) body = opts.base64 ? raw.toString('base64') : raw.toString('utf8');
  if (raw) headers['content-length'] ??= String(raw.length);
  const rawQueryString = new URLSearchParams(opts.query ?? {}).toString();
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    cookies: undefined,
    headers,
    queryStringParameters: opts.query && Object.keys(opts.query).length ? { ...opts.query } : undefined,
    isBase64Encoded: Boolean(opts.base64 && body !== undefined),
    body,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
      requestId: opts.requestId ?? `req-${randomUUID()}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

/** A Lambda context good enough for Powertools' injectLambdaContext. */
export function lambdaContext(functionName = 'berth-api'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 29_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

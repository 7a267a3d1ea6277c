import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface RestApiEventOptions {
  /** Header values by name as the client spelled it; an array is a header sent several times. */
  headers?: Record<string, string | string[]>;
  /** Query values; an array is a parameter given several times. */
  query?: Record<string, string | string[]>;
  /** Sent base64-encoded: the API's binaryMediaTypes is `*\/*`, so every body arrives so. */
  body?: Buffer | string;
  /** The API resource the method belongs to, e.g. `/v1/workspaces/{id}/files`. */
  resource?: string;
  stage?: string;
  requestId?: string;
  /** What the REST API's Lambda authorizer answered as context (its principalId is added, as API Gateway does). */
  authorizer?: Record<string, string>;
}

/** `{ name: [values] }` and `{ name: last value }`, as API Gateway fills both maps (null when empty). */
function maps(values: Record<string, string | string[]> | undefined) {
  const entries = Object.entries(values ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const);
  if (entries.length === 0) return { single: null, multi: null };
  return {
    single: Object.fromEntries(entries.map(([k, v]) => [k, v[v.length - 1]!])),
    multi: Object.fromEntries(entries.map(([k, v]) => [k, [...v]])),
  };
}

/**
 * An API Gateway REST API Lambda proxy event (payload 1.0) as AWS documents it ("Input format of a Lambda
 * function for proxy integration"): the deployed API's buffered and streaming integrations both send this.
 */
export function restApiEvent(
  method: string,
  path: string,
  opts: RestApiEventOptions = {},
): APIGatewayProxyEvent {
  const stage = opts.stage ?? 'api';
  const resource = opts.resource ?? path;
  const body = opts.body === undefined ? null : Buffer.from(opts.body).toString('base64');
  const headers = maps({
    Accept: '*/*',
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Amzn-Trace-Id': 'Root=1-5e66d96f-7491f09xmpl79d18acf3d050',
    'X-Forwarded-For': '203.0.113.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(body !== null && { 'Content-Length': String(Buffer.from(opts.body!).length) }),
    ...opts.headers,
  });
  const query = maps(opts.query);
  const now = Date.now();
  return {
    resource,
    path,
    httpMethod: method,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    // Berth's resources have `{id}`; API Gateway hands the segment over as it came (percent-encoded).
    pathParameters: /\/v1\/workspaces\/([^/]+)/.exec(path) ? { id: path.split('/')[3]! } : null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: opts.authorizer
        ? { principalId: opts.authorizer.tenantId ?? 'x', ...opts.authorizer }
        : null,
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      extendedRequestId: 'BQGojGkBoAMFZ0A=',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'curl/8.5.0',
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: 'HTTP/1.1',
      requestId: opts.requestId ?? randomUUID(),
      requestTime: '09/Apr/2015:12:34:56 +0000',
      requestTimeEpoch: now,
      resourceId: 'abc123',
      resourcePath: resource,
      stage,
    },
    body,
    isBase64Encoded: body !== null,
  };
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiEvent } from '@berth/functions';
import { readBounded } from '@berth/protocol';

const TEXT_TYPES = /^(application\/json|text\/)/i;

/** A Node request as API Gateway would hand it to Lambda (HTTP API, payload format 2.0). */
export async function toApiGatewayEvent(req: IncomingMessage, maxBodyBytes: number): Promise<ApiEvent> {
  const url = new URL(req.url ?? '/', 'http://local');
  // Over the limit: BodyTooLarge, which the host answers with 413 without reading the rest.
  const bytes = await readBounded(req, maxBodyBytes, { declaredLength: req.headers['content-length'] });
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const text = TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    isBase64Encoded: body.length > 0 && !text,
    body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
  };
}

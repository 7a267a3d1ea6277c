import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { errorResponse } from '@berth/functions';
import { BodyTooLarge, toApiGatewayEvent } from './api-gateway-event.js';
import { localLambdaContext } from './lambda-context.js';
import { LocalResponseStream } from './lambda-runtime-shim.js';

/** The API handler as a Lambda function URL with response streaming runs it. */
export type StreamingApiHandler = (
  event: unknown,
  stream: LocalResponseStream,
  ctx: unknown,
) => Promise<void>;

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the API handler over HTTP the way API Gateway / a function URL would: each request becomes a
 * payload-2.0 event, the answer streams back. Bodies over the limit are refused before they are read whole.
 */
export async function startApiServer(opts: {
  handler: StreamingApiHandler;
  maxBodyBytes: number;
  port: number;
  host: string;
  logger: Logger;
}): Promise<ApiServer> {
  const server = http.createServer(async (req, res) => {
    let event;
    try {
      event = await toApiGatewayEvent(req, opts.maxBodyBytes);
    } catch (e) {
      const r =
        e instanceof BodyTooLarge
          ? errorResponse(
              413,
              'payload_too_large',
              `request body is over ${opts.maxBodyBytes} bytes`,
              randomUUID(),
            )
          : errorResponse(400, 'invalid_request', 'could not read the request', randomUUID());
      res.writeHead(r.statusCode, { ...r.headers, connection: 'close' });
      res.end(r.body, () => req.destroy());
      return;
    }
    const stream = new LocalResponseStream(res);
    try {
      await opts.handler(event, stream, localLambdaContext('api', 900_000, event.requestContext.requestId));
    } catch (e) {
      opts.logger.error('local host: handler crashed', { error: e as Error });
      if (!res.headersSent) {
        const r = errorResponse(500, 'internal', 'internal error', event.requestContext.requestId);
        res.writeHead(r.statusCode, r.headers);
        res.end(r.body);
      } else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { errorResponse, findApiRoute, type ApiResponse } from '@berth/functions';
import { BodyTooLarge } from '@berth/protocol';
import { toApiGatewayEvent } from './api-gateway-event.js';
import { localLambdaContext } from './lambda-context.js';
import { LocalResponseStream } from './lambda-runtime-shim.js';
import { answerUnparsable } from './unparsable-request.js';

/** The API handler as a Lambda function URL with response streaming runs it. */
export type StreamingApiHandler = (
  event: unknown,
  stream: LocalResponseStream,
  ctx: unknown,
) => Promise<void>;

/** The API handler as API Gateway's HTTP API runs it: the whole response as one value (a string body). */
export type BufferedApiHandler = (event: unknown, ctx: unknown) => Promise<ApiResponse & { body: string }>;

/** The two deployments of one handler, as in the cloud: HTTP API for most calls, the function URL for SSE. */
export interface ApiHandlers {
  buffered: BufferedApiHandler;
  streaming: StreamingApiHandler;
}

/**
 * The streaming deployment serves what answers a stream: any request asking for an event stream, and the
 * routes the API's route table marks `streams` (agent runs, downloads, binary output: in the cloud the
 * function URL). Their bytes are relayed as they come, so any size streams in bounded memory, where the
 * buffered deployment would refuse what passes its response limit.
 */
export const servedStreaming = (req: Pick<http.IncomingMessage, 'method' | 'url' | 'headers'>): boolean => {
  if ((req.headers.accept ?? '').includes('text/event-stream')) return true;
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  return findApiRoute(req.method ?? 'GET', path)?.streams === true;
};

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the API handler over HTTP the way API Gateway and a function URL would: each request becomes a
 * payload-2.0 event; a request for `text/event-stream` and an agent run go to the streaming deployment, any
 * other to the buffered one (cheaper per call: no stream pipeline). Bodies over the limit are refused before
 * they are read whole.
 */
export async function startApiServer(opts: {
  handlers: ApiHandlers;
  maxBodyBytes: number;
  port: number;
  host: string;
  logger: Logger;
}): Promise<ApiServer> {
  // No Host header is fine (an HTTP/1.0 client; nothing here routes on it), where Node would answer a bare 400.
  const server = http.createServer({ requireHostHeader: false }, async (req, res) => {
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
    const context = localLambdaContext('api', 900_000, event.requestContext.requestId);
    try {
      if (servedStreaming(req)) {
        await opts.handlers.streaming(event, new LocalResponseStream(res), context);
      } else {
        const r = await opts.handlers.buffered(event, context);
        const body = Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
        res.writeHead(r.statusCode, { ...r.headers, 'content-length': String(body.length) });
        res.end(body);
      }
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
  server.on('clientError', answerUnparsable);
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

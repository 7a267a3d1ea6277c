import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Berth, type BerthOptions } from '@berth/sdk';

/**
 * A real HTTP server on loopback standing in for Berth: each test installs a handler and asserts on the
 * requests the SDK actually sent over the wire (no fetch mocks).
 */

export interface SeenRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Parsed when the body was JSON. */
  json: unknown;
  /** Resolves when the client's connection for this request closed before the answer ended. */
  aborted: Promise<void>;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => unknown;

export const API_KEY = 'test-key-123';

export interface FakeBerth {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** The handler for the next requests of this test. */
  handle(handler: Handler): void;
  client(options?: Partial<BerthOptions>): Berth;
}

export function useFakeBerth(): FakeBerth {
  let server: Server | undefined;
  let url = '';
  let handler: Handler = (_req, res) =>
    void json(res, 500, { error: { code: 'internal', message: 'no handler' } });
  const requests: SeenRequest[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => void serve(req, res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    requests.length = 0;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const parsed = new URL(req.url ?? '/', 'http://x');
    const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
    const aborted = new Promise<void>((resolve) =>
      res.on('close', () => {
        if (!res.writableFinished) resolve();
      }),
    );
    const seen: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      headers: req.headers,
      body,
      json: isJson && body.length ? JSON.parse(body.toString('utf8')) : undefined,
      aborted,
    };
    requests.push(seen);
    try {
      await handler(seen, res);
    } catch (e) {
      if (!res.headersSent)
        json(res, 500, { error: { code: 'internal', message: String(e), requestId: 'r' } });
      else res.destroy();
    }
  }

  return {
    get url() {
      return url;
    },
    requests,
    handle(h) {
      handler = h;
    },
    client(options = {}) {
      return new Berth({ baseUrl: url, apiKey: API_KEY, ...options });
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

export function apiError(
  res: ServerResponse,
  status: number,
  code: string,
  extra: { retryAfter?: string; requestId?: string } = {},
) {
  json(
    res,
    status,
    { error: { code, message: `${code} happened`, requestId: extra.requestId ?? 'req-1' } },
    extra.retryAfter === undefined ? {} : { 'retry-after': extra.retryAfter },
  );
}

/** A workspace object as API.md gives it. */
export function view(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    conversationId: 'conv-1',
    status: 'ready',
    template: 'default',
    labels: {},
    createdAt: '2025-01-01T00:00:00.000Z',
    readyAt: '2025-01-01T00:00:01.000Z',
    expiresAt: '2025-01-01T00:30:00.000Z',
    lastActiveAt: '2025-01-01T00:00:01.000Z',
    terminationReason: null,
    runtime: 'docker',
    fromPool: false,
    ...overrides,
  };
}

/** Starts an SSE answer. */
export function sseHead(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What `p` rejects with (fails the test when it resolves). */
export const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
};

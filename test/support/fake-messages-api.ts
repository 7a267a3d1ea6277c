import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake saw. Headers as Node gives them (lower-case names). */
export interface FakeMessagesRequest {
  method: string;
  /** Path with query (`/v1/messages?beta=true`). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface FakeMessagesApi {
  port: number;
  requests: FakeMessagesRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1 (ephemeral port), enough for the Claude Agent SDK
 * to finish one turn: `POST /v1/messages` answers `text` — as the SSE sequence message_start,
 * content_block_start/delta/stop, message_delta, message_stop when `stream` is set, else as one JSON
 * message. Everything else is 404. Every request is recorded, so tests can check which `x-api-key` arrived.
 */
export async function startFakeMessagesApi(text = 'hello'): Promise<FakeMessagesApi> {
  const requests: FakeMessagesRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not here' } }));
        return;
      }
      const { model = 'claude-fake', stream = false } = (body ?? {}) as { model?: string; stream?: boolean };
      const message = {
        id: 'msg_fake_1',
        type: 'message',
        role: 'assistant',
        model,
        content: [] as { type: 'text'; text: string }[],
        stop_reason: null as string | null,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      };
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...message, content: [{ type: 'text', text }], stop_reason: 'end_turn' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const event = (type: string, data: Record<string, unknown>) =>
        res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      event('message_start', { message });
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
      event('content_block_stop', { index: 0 });
      event('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 1 },
      });
      event('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

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

/**
 * One scripted answer of the model: a text reply (stop_reason end_turn), a tool call (stop_reason tool_use;
 * the SDK runs the tool and asks again with its result), or `hang`: headers are never sent and the request
 * stays open until the client goes away or the fake closes.
 */
export type FakeTurn =
  | string
  | { toolUse: { name: string; input: Record<string, unknown> } }
  | { hang: true };

export interface FakeMessagesApi {
  port: number;
  requests: FakeMessagesRequest[];
  /** Replaces the script; the next model turn answers its first entry (e.g. once a path is known). */
  setScript(script: string | FakeTurn[]): void;
  close(): Promise<void>;
}

interface Block {
  type: 'text' | 'tool_use';
  [k: string]: unknown;
}

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1 (ephemeral port), enough for the Claude Agent SDK
 * to run: each streamed `POST /v1/messages` (what the SDK sends for a model turn) answers the next turn of
 * `script` — the last one repeats — as the SSE sequence message_start, content_block_start/delta/stop,
 * message_delta, message_stop. A plain string is a one-turn text script. Requests that do not stream (other
 * clients, housekeeping) get one JSON text message and do not use up a turn; `/v1/messages/count_tokens`
 * gets a count. Everything else is 404 (the SDK's CLI sends `HEAD /` first as a connectivity check).
 * Every request is recorded, so tests can check which `x-api-key` arrived.
 */
export async function startFakeMessagesApi(script: string | FakeTurn[] = 'hello'): Promise<FakeMessagesApi> {
  let turns: FakeTurn[] = [];
  let plainText = 'ok';
  let next = 0;
  const setScript = (s: string | FakeTurn[]) => {
    const list = typeof s === 'string' ? [s] : [...s];
    if (list.length === 0) throw new Error('startFakeMessagesApi: the script needs at least one turn');
    turns = list;
    plainText = list.find((t): t is string => typeof t === 'string') ?? 'ok';
    next = 0;
  };
  setScript(script);
  const requests: FakeMessagesRequest[] = [];
  let ids = 0;

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
      const path = (req.url ?? '').split('?')[0];
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        json(200, { input_tokens: 3 });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/messages') {
        json(404, { type: 'error', error: { type: 'not_found_error', message: 'not here' } });
        return;
      }
      const { model = 'claude-fake', stream = false } = (body ?? {}) as { model?: string; stream?: boolean };
      const message = {
        id: `msg_fake_${++ids}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [] as Block[],
        stop_reason: null as string | null,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      };
      if (!stream) {
        json(200, { ...message, content: [{ type: 'text', text: plainText }], stop_reason: 'end_turn' });
        return;
      }
      const turn = turns[Math.min(next++, turns.length - 1)]!;
      if (typeof turn === 'object' && 'hang' in turn) return; // answered never; close() cuts it
      const isTool = typeof turn === 'object';
      const start: Block = isTool
        ? { type: 'tool_use', id: `toolu_fake_${ids}`, name: turn.toolUse.name, input: {} }
        : { type: 'text', text: '' };
      const delta = isTool
        ? { type: 'input_json_delta', partial_json: JSON.stringify(turn.toolUse.input) }
        : { type: 'text_delta', text: turn };
      const stopReason = isTool ? 'tool_use' : 'end_turn';

      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const event = (type: string, data: Record<string, unknown>) =>
        res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      event('message_start', { message });
      event('content_block_start', { index: 0, content_block: start });
      event('content_block_delta', { index: 0, delta });
      event('content_block_stop', { index: 0 });
      event('message_delta', {
        delta: { stop_reason: stopReason, stop_sequence: null },
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
    setScript,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  BerthApiError,
  BerthConnectionError,
  type AgentEvent,
  type CommandEvent,
  type Workspace,
} from '@berth/sdk';
import { apiError, json, sleep, sseHead, useFakeBerth, view } from './support/fake-berth.js';

// Streamed exec and agent runs over real SSE answers: decoding, early ends, and cancellation reaching the server.
const fake = useFakeBerth();

async function workspace(): Promise<Workspace> {
  fake.handle((_req, res) => json(res, 200, view('ws_1')));
  const w = await fake.client().workspaces.get('ws_1');
  fake.requests.length = 0;
  return w;
}

/** Writes `text` a few bytes at a time, with pauses, so the client sees it in many pieces. */
async function trickle(res: ServerResponse, text: string, size = 3) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) {
    res.write(bytes.subarray(i, i + size));
    if (i % (size * 8) === 0) await sleep(1);
  }
}

describe('commands.stream', () => {
  it('sends Accept: text/event-stream; decodes JSON-string chunks exactly (newlines, CRLF on the wire)', async () => {
    const w = await workspace();
    fake.handle(async (_req, res) => {
      sseHead(res);
      const wire = [
        ': heartbeat',
        'event: stdout',
        `data: ${JSON.stringify('one\n')}`,
        '',
        'event: stderr',
        `data: ${JSON.stringify('warn: ü\r\n')}`,
        '',
        'event: stdout',
        `data: ${JSON.stringify('two\nthree')}`,
        '',
        'event: exit',
        'data: {"exitCode":0,"signal":null,"durationMs":1002,"timedOut":false,"truncated":false}',
        '',
        '',
      ].join('\r\n');
      await trickle(res, wire, 1);
      res.end();
    });
    const events: CommandEvent[] = [];
    for await (const e of w.commands.stream(['sh', '-c', 'echo one; sleep 1; echo two'], {
      env: { X: '1' },
    })) {
      events.push(e);
    }
    expect(events).toEqual([
      { event: 'stdout', data: 'one\n' },
      { event: 'stderr', data: 'warn: ü\r\n' },
      { event: 'stdout', data: 'two\nthree' },
      {
        event: 'exit',
        data: { exitCode: 0, signal: null, durationMs: 1002, timedOut: false, truncated: false },
      },
    ]);
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/workspaces/ws_1/exec' });
    expect(req!.headers.accept).toBe('text/event-stream');
    expect(req!.json).toEqual({ cmd: ['sh', '-c', 'echo one; sleep 1; echo two'], env: { X: '1' } });
  });

  it('an error answer throws BerthApiError on the first iteration', async () => {
    const w = await workspace();
    fake.handle((_req, res) => apiError(res, 409, 'workspace_paused'));
    const it = w.commands.stream(['true'])[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ status: 409, code: 'workspace_paused' });
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('a stream that ends without exit is a BerthConnectionError', async () => {
    const w = await workspace();
    fake.handle((_req, res) => {
      sseHead(res);
      res.end(`event: stdout\ndata: "partial"\n\n`);
    });
    const seen: CommandEvent[] = [];
    const e = await (async () => {
      try {
        for await (const ev of w.commands.stream(['true'])) seen.push(ev);
      } catch (err) {
        return err;
      }
    })();
    expect(seen).toEqual([{ event: 'stdout', data: 'partial' }]);
    expect(e).toBeInstanceOf(BerthConnectionError);
    expect((e as Error).message).toMatch(/ended before its exit event/);
  });

  it('a connection cut mid-stream is a BerthConnectionError', async () => {
    const w = await workspace();
    fake.handle(async (_req, res) => {
      sseHead(res);
      res.write(`event: stdout\ndata: "a"\n\n`);
      await sleep(20);
      res.destroy();
    });
    const iterate = async () => {
      for await (const _ of w.commands.stream(['true'])) void _;
    };
    await expect(iterate()).rejects.toBeInstanceOf(BerthConnectionError);
  });
});

/** An agent run that sends one message, then nothing until the client goes away. */
function endlessRun() {
  fake.handle(async (_req, res) => {
    sseHead(res);
    res.write(`event: message\ndata: {"type":"assistant","n":1}\n\n`);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 20);
    res.on('close', () => clearInterval(beat));
  });
}

describe('agent.run', () => {
  it('POST .../execute with the request; yields message, files_changed, result, then stops', async () => {
    const w = await workspace();
    fake.handle(async (_req, res) => {
      sseHead(res);
      await trickle(
        res,
        [
          'event: message\ndata: {"type":"system","subtype":"init"}\n\n',
          'event: message\ndata: {"type":"assistant","message":{"content":[{"type":"text","text":"hi\\nthere"}]}}\n\n',
          'event: files_changed\ndata: {"changed":["hello.py"],"deleted":[]}\n\n',
          'event: result\ndata: {"subtype":"success","result":"done","session_id":"s-1","num_turns":2}\n\n',
        ].join(''),
      );
      res.end();
    });
    const events: AgentEvent[] = [];
    for await (const e of w.agent.run({
      prompt: 'Write hello.py',
      maxTurns: 5,
      allowedTools: ['Write'],
      sessionId: 's-0',
    })) {
      events.push(e);
    }
    expect(events.map((e) => e.event)).toEqual(['message', 'message', 'files_changed', 'result']);
    expect(events[2]).toEqual({ event: 'files_changed', data: { changed: ['hello.py'], deleted: [] } });
    const result = events[3]!;
    if (result.event === 'result') expect(result.data.session_id).toBe('s-1');
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/workspaces/ws_1/execute' });
    expect(req!.headers.accept).toBe('text/event-stream');
    expect(req!.json).toEqual({
      prompt: 'Write hello.py',
      maxTurns: 5,
      allowedTools: ['Write'],
      sessionId: 's-0',
    });
  });

  it('an error event is the last one', async () => {
    const w = await workspace();
    fake.handle((_req, res) => {
      sseHead(res);
      res.end('event: error\ndata: {"code":"agent_error","message":"boom"}\n\n');
    });
    const events: AgentEvent[] = [];
    for await (const e of w.agent.run({ prompt: 'x' })) events.push(e);
    expect(events).toEqual([{ event: 'error', data: { code: 'agent_error', message: 'boom' } }]);
  });

  it('breaking out of the loop closes the request: the server sees the client go', async () => {
    const w = await workspace();
    endlessRun();
    for await (const e of w.agent.run({ prompt: 'long task' })) {
      expect(e).toEqual({ event: 'message', data: { type: 'assistant', n: 1 } });
      break;
    }
    await expect(withTimeout(fake.requests[0]!.aborted, 2000)).resolves.toBe('closed');
  });

  it('aborting the signal closes the request and rejects with the AbortError', async () => {
    const w = await workspace();
    endlessRun();
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const e of w.agent.run({ prompt: 'long task' }, { signal: controller.signal }))
        seen.push(e.event);
    })();
    await sleep(100);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['message']);
    await expect(withTimeout(fake.requests[0]!.aborted, 2000)).resolves.toBe('closed');
  });

  it('400 before any event is a BerthApiError, not retried', async () => {
    const w = await workspace();
    fake.handle((_req, res) => apiError(res, 400, 'invalid_request', { retryAfter: '0' }));
    const iterate = async () => {
      for await (const _ of w.agent.run({ prompt: '' })) void _;
    };
    await expect(iterate()).rejects.toBeInstanceOf(BerthApiError);
    expect(fake.requests).toHaveLength(1);
  });
});

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p.then(() => 'closed' as const), sleep(ms).then(() => 'still open' as const)]);

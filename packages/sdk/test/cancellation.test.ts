import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  BerthError,
  BerthTimeoutError,
  type Berth,
  type CallOptions,
  type WorkspaceHandle,
} from '@berth/sdk';
import {
  apiError,
  json,
  sleep,
  sseHead,
  useFakeBerth,
  view,
  type SeenRequest,
  caught,
} from './support/fake-berth.js';

// `{ signal, timeoutMs }` on every call, over a real HTTP server: aborting cancels the request on the
// wire at any point, and a timeout is its own error class.
const fake = useFakeBerth();

/** Drains an async iterator: a stream call counts as done once it ended. */
async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) void _;
}

/** Every call of the SDK, each with the caller's options passed the way that call takes them. */
const CALLS: [string, (berth: Berth, ws: WorkspaceHandle, o: CallOptions) => Promise<unknown>][] = [
  ['workspaces.create', (b, _w, o) => b.workspaces.create({ conversationId: 'c' }, o)],
  ['workspaces.get', (b, _w, o) => b.workspaces.get('ws_1', o)],
  ['workspaces.listPage', (b, _w, o) => b.workspaces.listPage({ limit: 1, ...o })],
  ['workspaces.list', (b, _w, o) => drain(b.workspaces.list({ ...o }))],
  ['workspaces.delete', (b, _w, o) => b.workspaces.delete('ws_1', o)],
  ['workspaces.pause', (b, _w, o) => b.workspaces.pause('ws_1', o)],
  ['workspaces.resume', (b, _w, o) => b.workspaces.resume('ws_1', o)],
  ['workspaces.keepalive', (b, _w, o) => b.workspaces.keepalive('ws_1', 600, o)],
  ['ws.refresh', (_b, w, o) => w.refresh(o)],
  ['ws.keepalive', (_b, w, o) => w.keepalive(undefined, o)],
  ['ws.pause', (_b, w, o) => w.pause(o)],
  ['ws.resume', (_b, w, o) => w.resume(o)],
  ['ws.delete', (_b, w, o) => w.delete(o)],
  ['files.read', (_b, w, o) => w.files.read('a', o)],
  ['files.readText', (_b, w, o) => w.files.readText('a', o)],
  ['files.readStream', (_b, w, o) => w.files.readStream('a', o)],
  ['files.write', (_b, w, o) => w.files.write('a', 'x', o)],
  ['files.list', (_b, w, o) => w.files.list('.', o)],
  ['files.remove', (_b, w, o) => w.files.remove('a', o)],
  ['agent.run', (_b, w, o) => drain(w.agent.run({ prompt: 'x' }, o))],
  ['egress.update', (_b, w, o) => w.egress.update({ allowDomains: ['a.com'] }, o)],
  ['health', (b, _w, o) => b.health(o)],
  ['pool', (b, _w, o) => b.pool(o)],
];

/**
 * Commands: their `timeoutMs` is the command's own limit (the client waits 30 s more), so here the
 * options carry only the signal; the client's default timeout is what expires.
 */
const COMMAND_CALLS: [string, (ws: WorkspaceHandle, o: CallOptions) => Promise<unknown>][] = [
  ['commands.run', (w, o) => w.commands.run(['true'], { signal: o.signal })],
  ['commands.runBinary', (w, o) => w.commands.runBinary(['true'], { signal: o.signal })],
  ['commands.stream', (w, o) => drain(w.commands.stream(['true'], { signal: o.signal }))],
];

/** Holds every request without answering; `arrived` resolves with the first one. */
function stall() {
  let arrived!: (req: SeenRequest) => void;
  const first = new Promise<SeenRequest>((r) => (arrived = r));
  fake.handle((req) => arrived(req));
  return first;
}

const closedWithin = (req: SeenRequest, ms: number) =>
  Promise.race([req.aborted.then(() => 'closed'), sleep(ms).then(() => 'still open')]);

describe('signal: aborting while the answer is awaited', () => {
  const all = [
    ...CALLS,
    ...COMMAND_CALLS.map(([name, call]) => [
      name,
      (_b: Berth, w: WorkspaceHandle, o: CallOptions) => call(w, o),
    ]),
  ] as typeof CALLS;

  it.each(all)(
    '%s: rejects with the AbortError and the server sees the request cancelled',
    async (_n, call) => {
      const arrived = stall();
      const berth = fake.client({ timeoutMs: 0 });
      const controller = new AbortController();
      const pending = caught(call(berth, berth.workspaces.handle('ws_1'), { signal: controller.signal }));
      const req = await arrived;
      controller.abort();
      const e = await pending;
      expect((e as Error).name).toBe('AbortError');
      expect(e).not.toBeInstanceOf(BerthError);
      expect(await closedWithin(req, 2000)).toBe('closed');
    },
  );

  it.each(all)('%s: an already aborted signal sends nothing', async (_n, call) => {
    stall();
    const berth = fake.client();
    const reason = new Error('caller gave up');
    const e = await caught(
      call(berth, berth.workspaces.handle('ws_1'), { signal: AbortSignal.abort(reason) }),
    );
    expect(e).toBe(reason);
    expect(fake.requests).toEqual([]);
  });
});

describe('timeoutMs: no answer in time is BerthTimeoutError', () => {
  it.each(CALLS)("%s: the call's own timeoutMs replaces the client's", async (_n, call) => {
    const arrived = stall();
    const berth = fake.client({ timeoutMs: 60_000 });
    const t0 = performance.now();
    const e = await caught(call(berth, berth.workspaces.handle('ws_1'), { timeoutMs: 100 }));
    expect(e).toBeInstanceOf(BerthTimeoutError);
    expect(e).toMatchObject({ timeoutMs: 100 });
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });

  it.each(COMMAND_CALLS)("%s: the client's timeoutMs", async (_n, call) => {
    const arrived = stall();
    const berth = fake.client({ timeoutMs: 100 });
    const e = await caught(call(berth.workspaces.handle('ws_1'), {}));
    expect(e).toBeInstanceOf(BerthTimeoutError);
    expect(e).toMatchObject({ timeoutMs: 100 });
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });

  it("timeoutMs 0 on a call turns the client's timeout off for it", async () => {
    fake.handle(async (_req, res) => {
      await sleep(300);
      json(res, 200, view('ws_1', { status: 'paused' }));
    });
    const berth = fake.client({ timeoutMs: 100 });
    expect((await berth.workspaces.pause('ws_1', { timeoutMs: 0 })).status).toBe('paused');
    await expect(berth.workspaces.pause('ws_1')).rejects.toBeInstanceOf(BerthTimeoutError);
  });

  it("a command's own timeoutMs is sent, and the client waits for its answer beyond the client's limit", async () => {
    fake.handle(async (_req, res) => {
      await sleep(300);
      json(res, 200, {
        exitCode: 0,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 300,
        timedOut: false,
        truncated: false,
      });
    });
    const ws = fake.client({ timeoutMs: 100 }).workspaces.handle('ws_1');
    expect((await ws.commands.run(['sleep', '0.3'], { timeoutMs: 1000 })).exitCode).toBe(0);
    expect(fake.requests[0]!.json).toEqual({ cmd: ['sleep', '0.3'], timeoutMs: 1000 });
  });
});

/** Sends the start of an answer, then holds the rest until the client goes away. */
function halfAnswer(head: (res: ServerResponse) => void) {
  let arrived!: (req: SeenRequest) => void;
  const first = new Promise<SeenRequest>((r) => (arrived = r));
  fake.handle((req, res) => {
    head(res);
    arrived(req);
  });
  return first;
}

const bytesHead = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
  res.write(Buffer.alloc(1000, 1));
};
const jsonHead = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
  res.write('{"id":"ws_1",');
};

describe('signal and timeoutMs while an answer is being read', () => {
  const BODIES: [
    string,
    (res: ServerResponse) => void,
    (w: WorkspaceHandle, o: CallOptions) => Promise<unknown>,
  ][] = [
    ['files.read', bytesHead, (w, o) => w.files.read('a', o)],
    ['commands.runBinary', bytesHead, (w, o) => w.commands.runBinary(['cat', 'a'], { signal: o.signal })],
    ['ws.refresh (JSON)', jsonHead, (w, o) => w.refresh(o)],
  ];

  it.each(BODIES)(
    '%s: aborting mid-body rejects with the AbortError and closes the request',
    async (_n, head, call) => {
      const arrived = halfAnswer(head);
      const controller = new AbortController();
      const pending = caught(call(fake.client().workspaces.handle('ws_1'), { signal: controller.signal }));
      const req = await arrived;
      await sleep(50); // the headers and the first bytes are in
      controller.abort();
      expect(((await pending) as Error).name).toBe('AbortError');
      expect(await closedWithin(req, 2000)).toBe('closed');
    },
  );

  it.each(BODIES)('%s: a body that stalls past the timeout is BerthTimeoutError', async (_n, head, call) => {
    const arrived = halfAnswer(head);
    const e = await caught(call(fake.client({ timeoutMs: 200 }).workspaces.handle('ws_1'), {}));
    expect(e).toBeInstanceOf(BerthTimeoutError);
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });
});

describe('signal mid-stream', () => {
  it('files.readStream: the stream errors with the AbortError once aborted, and the request closes', async () => {
    const arrived = halfAnswer(bytesHead);
    const controller = new AbortController();
    const reader = (
      await fake.client().workspaces.handle('ws_1').files.readStream('big', { signal: controller.signal })
    ).getReader();
    expect((await reader.read()).value!.length).toBeGreaterThan(0);
    controller.abort();
    const e = await caught(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    );
    expect((e as Error).name).toBe('AbortError');
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });

  it('commands.stream: aborting after the first event rejects with the AbortError and closes the request', async () => {
    const arrived = halfAnswer((res) => {
      sseHead(res);
      res.write('event: stdout\ndata: "started\\n"\n\n');
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const e = await caught(
      (async () => {
        for await (const ev of fake
          .client()
          .workspaces.handle('ws_1')
          .commands.stream(['sleep', '60'], { signal: controller.signal })) {
          seen.push(ev.event);
          controller.abort();
        }
      })(),
    );
    expect(seen).toEqual(['stdout']);
    expect((e as Error).name).toBe('AbortError');
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });

  it('agent.run: aborting after the first event rejects with the AbortError and closes the request', async () => {
    const arrived = halfAnswer((res) => {
      sseHead(res);
      res.write('event: message\ndata: {"type":"assistant"}\n\n');
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const e = await caught(
      (async () => {
        for await (const ev of fake
          .client()
          .workspaces.handle('ws_1')
          .agent.run({ prompt: 'x' }, { signal: controller.signal })) {
          seen.push(ev.event);
          controller.abort();
        }
      })(),
    );
    expect(seen).toEqual(['message']);
    expect((e as Error).name).toBe('AbortError');
    expect(await closedWithin(await arrived, 2000)).toBe('closed');
  });

  it('a started stream outlives timeoutMs (it bounds only the wait for the stream to start)', async () => {
    fake.handle(async (_req, res) => {
      sseHead(res);
      for (const chunk of ['a', 'b', 'c']) {
        res.write(`event: stdout\ndata: ${JSON.stringify(chunk)}\n\n`);
        await sleep(100);
      }
      res.end('event: exit\ndata: {"exitCode":0,"signal":null,"durationMs":300,"timedOut":false}\n\n');
    });
    const events = fake.client({ timeoutMs: 50 }).workspaces.handle('ws_1').commands.stream(['x']);
    const seen: string[] = [];
    for await (const e of events) seen.push(e.event);
    expect(seen).toEqual(['stdout', 'stdout', 'stdout', 'exit']);
  });
});

describe('signal between retries', () => {
  it('aborting while waiting out a Retry-After rejects at once, with no further attempt', async () => {
    fake.handle((_req, res) => apiError(res, 503, 'capacity', { retryAfter: '30' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    const e = await caught(fake.client().workspaces.pause('ws_1', { signal: controller.signal }));
    expect((e as Error).name).toBe('AbortError');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(1);
  });
});

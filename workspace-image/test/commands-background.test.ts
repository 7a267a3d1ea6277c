import type { IncomingMessage } from 'node:http';
import { SseDecoder } from '@berth/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLog } from '../src/commands/command-log.js';
import { LAUNCHERS, requireSpawner, sleep, startTestAgent, type TestAgent } from './helpers.js';

interface Ev {
  event: string;
  id: string | undefined;
  data: string;
}

/** Reads SSE events off a response until `stopAfter` of them arrived (then drops the connection) or it ends. */
async function readEvents(res: IncomingMessage, stopAfter = Infinity): Promise<Ev[]> {
  const decoder = new SseDecoder();
  const events: Ev[] = [];
  res.setEncoding('utf8');
  for await (const chunk of res) {
    for (const e of decoder.push(chunk as string)) {
      events.push({ event: e.event, id: e.id, data: e.data });
      if (events.length >= stopAfter) {
        res.destroy();
        return events;
      }
    }
  }
  return events;
}

const SSE = { accept: 'text/event-stream' };

/** 50 numbered lines over about 2.5 s. */
const NUMBERED = ['sh', '-c', 'i=1; while [ $i -le 50 ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done'];

describe.each(LAUNCHERS)('background commands ($name)', ({ name, config }) => {
  let t: TestAgent;
  beforeAll(async () => {
    if (name === 'berth-spawner') requireSpawner();
    t = await startTestAgent(config);
  });
  afterAll(() => t.stop());

  const start = async (cmd: string[]) => {
    const r = await t.call('POST', '/commands', { body: { cmd } });
    expect(r.status).toBe(202);
    return r.json() as { commandId: string; status: string };
  };

  it('answers at once with an id; the command runs on with nobody reading, and its status says how it ended', async () => {
    const started = await start(['sh', '-c', 'sleep 0.3; echo done; exit 3']);
    expect(started).toMatchObject({ status: 'running', commandId: expect.stringMatching(/^cmd_/) });
    await sleep(600);
    const status = await t.call('GET', `/commands?id=${started.commandId}`);
    expect(status.json()).toMatchObject({ status: 'exited', exitCode: 3, signal: null, timedOut: false });
    expect((await t.call('GET', '/commands')).json().commands).toContainEqual(
      expect.objectContaining({ commandId: started.commandId }),
    );
  });

  it('a reader that drops the connection after 10 lines and reattaches with Last-Event-ID gets every line once, in order', async () => {
    const { commandId } = await start(NUMBERED);
    const first = await readEvents(
      await t.open('GET', `/commands/events?id=${commandId}`, { headers: SSE }).response,
      10,
    );
    const lastId = first.at(-1)!.id!;
    await sleep(300); // the command goes on meanwhile
    const rest = await readEvents(
      await t.open('GET', `/commands/events?id=${commandId}`, {
        headers: { ...SSE, 'last-event-id': lastId },
      }).response,
    );
    const all = [...first, ...rest];
    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // numbered from 1, none twice, none missing
    const text = all
      .filter((e) => e.event === 'stdout')
      .map((e) => JSON.parse(e.data) as string)
      .join('');
    expect(text).toBe(Array.from({ length: 50 }, (_, i) => `line ${i + 1}\n`).join(''));
    expect(all.at(-1)).toMatchObject({ event: 'exit' });
    expect(JSON.parse(all.at(-1)!.data)).toMatchObject({ exitCode: 0 });
  });

  it('reads the same events as JSON pages with ?after=, and from a finished command', async () => {
    const { commandId } = await start(['sh', '-c', 'printf a; printf b >&2; printf c']);
    await sleep(300);
    const page = (await t.call('GET', `/commands/events?id=${commandId}&after=0`)).json();
    expect(page.events.at(-1)).toMatchObject({ event: 'exit', data: { exitCode: 0 } });
    expect(page.next).toBe(page.events.at(-1).id);
    const later = (await t.call('GET', `/commands/events?id=${commandId}&after=${page.events[0].id}`)).json();
    expect(later.events.map((e: { id: number }) => e.id)).toEqual(
      page.events.slice(1).map((e: { id: number }) => e.id),
    );
  });

  it('kill ends the whole process group; the exit names the signal', async () => {
    const { commandId } = await start(['sh', '-c', 'sleep 30 & sleep 30']);
    const killed = await t.call('POST', `/commands/kill?id=${commandId}`);
    expect(killed.json()).toMatchObject({ status: 'exited', signal: 'SIGKILL' });
  });

  it('takes stdin while it runs, and EOF when asked; an ended command takes none', async () => {
    const { commandId } = await start(['sh', '-c', 'while read line; do echo "got $line"; done; echo eof']);
    const send = (body: string, eof = false) =>
      t.call('POST', `/commands/stdin?id=${commandId}${eof ? '&eof=1' : ''}`, {
        body: Buffer.from(body),
        headers: { 'content-type': 'application/octet-stream' },
      });
    expect((await send('one\n')).status).toBe(204);
    expect((await send('two\nthree\n', true)).status).toBe(204);
    const events = await readEvents(
      await t.open('GET', `/commands/events?id=${commandId}`, { headers: SSE }).response,
    );
    const out = events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data) as string);
    expect(out.join('')).toBe('got one\ngot two\ngot three\neof\n');
    expect((await send('late\n')).status).toBe(400);
  });

  it('POST /exec/stream names its command and numbers its events: the same log, readable again', async () => {
    const res = await t.open('POST', '/exec/stream', { body: { cmd: ['sh', '-c', 'echo a; echo b >&2'] } })
      .response;
    const commandId = res.headers['x-berth-command-id'] as string;
    expect(commandId).toMatch(/^cmd_/);
    const streamed = await readEvents(res);
    expect(streamed.map((e) => e.id)).toEqual(streamed.map((_, i) => String(i + 1)));
    const again = (await t.call('GET', `/commands/events?id=${commandId}`)).json();
    expect(again.events.map((e: { event: string }) => e.event)).toEqual(streamed.map((e) => e.event));
  });

  it('an unknown command is a 404, a bad cursor a 400', async () => {
    expect((await t.call('GET', '/commands?id=cmd_nope')).status).toBe(404);
    const { commandId } = await start(['true']);
    expect((await t.call('GET', `/commands/events?id=${commandId}&after=-1`)).status).toBe(400);
  });
});

describe('CommandLog', () => {
  it('drops the oldest events past its size; a reader behind them gets one gap with what it lost', () => {
    const log = new CommandLog(10);
    for (let i = 0; i < 6; i++) log.append({ event: 'stdout', data: 'abcd' }, 4);
    // 24 bytes appended, 10 kept: events 1–4 (16 bytes) dropped, 5 and 6 kept.
    expect(log.readAfter(0).events).toEqual([
      { id: 4, event: 'gap', data: { lostEvents: 4, lostBytes: 16 } },
      { id: 5, event: 'stdout', data: 'abcd' },
      { id: 6, event: 'stdout', data: 'abcd' },
    ]);
    // A reader that had read through 2 lost 3 and 4 only.
    expect(log.readAfter(2).events[0]).toEqual({
      id: 4,
      event: 'gap',
      data: { lostEvents: 2, lostBytes: 8 },
    });
    expect(log.readAfter(5).events.map((e) => e.id)).toEqual([6]);
    expect(log.readAfter(6)).toEqual({ events: [], next: 6 });
  });

  it('always keeps the newest event, however large', () => {
    const log = new CommandLog(4);
    log.append({ event: 'stdout', data: 'x'.repeat(100) }, 100);
    expect(log.readAfter(0).events).toHaveLength(1);
    expect(log.bytes).toBe(100);
  });
});

import type { IncomingMessage } from 'node:http';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type FakeMessagesApi } from '../../test/support/fake-messages-api.js';
import { parseSse, sleep, startTestAgent, type TestAgent } from './helpers.js';

/**
 * The real Claude Agent SDK (its CLI runs as a child `node` of the agent) against a local fake Messages
 * API. Every run starts the CLI (1–3 s), hence the long timeouts.
 */
const SLOW = { timeout: 60_000 };

interface Event {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const c of res) text += c as string;
  return text;
}

async function runningCommands(t: TestAgent): Promise<number> {
  return (await t.call('GET', '/health')).json().runningCommands as number;
}

/** Pids of processes whose cwd is the workspace: the CLI of a run. */
async function processesIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir) pids.push(Number(name));
  }
  return pids;
}

describe('POST /execute', () => {
  let api: FakeMessagesApi;
  let t: TestAgent;

  const execute = async (body: object): Promise<Event[]> => {
    const res = await t.open('POST', '/execute', { body }).response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    return parseSse(await readAll(res)).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
  };
  const modelTurns = () =>
    api.requests.filter((q) => q.method === 'POST' && q.url.startsWith('/v1/messages'));

  beforeAll(async () => {
    api = await startFakeMessagesApi('hello');
    t = await startTestAgent({
      anthropicBaseUrl: `http://127.0.0.1:${api.port}`,
      anthropicApiKey: 'sk-test',
    });
  });
  afterAll(async () => {
    await t?.stop();
    await api?.close();
  });

  it('streams the messages of a text-only run, then one result', SLOW, async () => {
    api.setScript(['hello']);
    const events = await execute({ prompt: 'Say hello', maxTurns: 2 });
    const names = events.map((e) => e.event);
    expect(names.at(-1)).toBe('result');
    expect(names.slice(0, -1).every((n) => n === 'message')).toBe(true);
    expect(events.some((e) => e.data.type === 'assistant')).toBe(true);
    expect(events.at(-1)?.data).toMatchObject({ type: 'result', subtype: 'success', result: 'hello' });
    expect(events.at(-1)?.data.session_id).toMatch(/^[A-Za-z0-9_-]+$/);

    expect(modelTurns().length).toBeGreaterThan(0);
    for (const q of modelTurns()) expect(q.headers['x-api-key']).toBe('sk-test');
    expect(await runningCommands(t)).toBe(0);
  });

  it('continues an earlier run with its sessionId', SLOW, async () => {
    api.setScript(['first']);
    const first = (await execute({ prompt: 'Remember 42' })).at(-1)?.data;
    expect(first).toMatchObject({ subtype: 'success', result: 'first' });
    api.setScript(['second']);
    const second = (await execute({ prompt: 'What number?', sessionId: first.session_id })).at(-1)?.data;
    expect(second).toMatchObject({ subtype: 'success', result: 'second' });
    // The model got the earlier exchange again.
    const sent = JSON.stringify(modelTurns().at(-1)?.body);
    expect(sent).toContain('Remember 42');
    expect(sent).toContain('What number?');
  });

  it('runs a tool in the workspace and reports the file it wrote as files_changed', SLOW, async () => {
    api.setScript([
      { toolUse: { name: 'Write', input: { file_path: join(t.realRoot, 'hello.txt'), content: 'hi' } } },
      'done',
    ]);
    const events = await execute({ prompt: 'Write hello.txt' });
    expect(await readFile(join(t.realRoot, 'hello.txt'), 'utf8')).toBe('hi');

    const names = events.map((e) => e.event);
    const toolResult = events.findIndex(
      (e) => e.data.type === 'user' && JSON.stringify(e.data.message.content).includes('tool_result'),
    );
    const changed = names.indexOf('files_changed');
    expect(toolResult).toBeGreaterThan(-1);
    expect(changed).toBeGreaterThan(toolResult);
    expect(events[changed]?.data).toEqual({ changed: ['hello.txt'], deleted: [] });
    expect(names.filter((n) => n === 'result')).toEqual(['result']);
    expect(events.at(-1)?.data).toMatchObject({ subtype: 'success', result: 'done', num_turns: 2 });
  });

  it('denies the tools allowedTools does not list', SLOW, async () => {
    api.setScript([
      { toolUse: { name: 'Write', input: { file_path: join(t.realRoot, 'denied.txt'), content: 'no' } } },
      'ok',
    ]);
    const events = await execute({ prompt: 'Write denied.txt', allowedTools: ['Read'] });
    expect(existsSync(join(t.realRoot, 'denied.txt'))).toBe(false);
    const changed = events.filter((e) => e.event === 'files_changed').flatMap((e) => e.data.changed);
    expect(changed).not.toContain('denied.txt');
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { subtype: 'success' } });
  });

  it('answers an unknown sessionId with an error result', SLOW, async () => {
    const sessionId = '00000000-0000-4000-8000-000000000000';
    const events = await execute({ prompt: 'Continue', sessionId });
    expect(events.map((e) => e.event)).toEqual(['result']);
    expect(events[0]?.data).toMatchObject({ subtype: 'error_during_execution', is_error: true });
    expect(events[0]?.data.errors.join('\n')).toContain(sessionId);
  });

  it('ends with an error event when the run gives no result', SLOW, async () => {
    // A HOME the CLI cannot create: it exits quietly without a single message (found by trying).
    const broken = await startTestAgent({
      anthropicBaseUrl: `http://127.0.0.1:${api.port}`,
      childHome: '/dev/null/home',
    });
    try {
      const res = await broken.open('POST', '/execute', { body: { prompt: 'Say hello' } }).response;
      const events = parseSse(await readAll(res));
      expect(events.map((e) => e.event)).toEqual(['error']);
      const data = JSON.parse(events[0]!.data);
      expect(data.code).toBe('agent_error');
      expect(data.message).toMatch(/without a result/);
      expect(await runningCommands(broken)).toBe(0);
    } finally {
      await broken.stop();
    }
  });

  it('says at once that no model access is configured, without starting the SDK', async () => {
    const cut = await startTestAgent({});
    try {
      const started = Date.now();
      const res = await cut.open('POST', '/execute', { body: { prompt: 'Say hello' } }).response;
      const events = parseSse(await readAll(res));
      expect(events.map((e) => e.event)).toEqual(['error']);
      const data = JSON.parse(events[0]!.data);
      expect(data.code).toBe('agent_error');
      expect(data.message).toMatch(/BERTH_ANTHROPIC_API_KEY/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await runningCommands(cut)).toBe(0);
    } finally {
      await cut.stop();
    }
  });

  it.each([
    ['an unknown field', { prompt: 'x', maxTurn: 3 }, /unknown field "maxTurn"/],
    ['an empty prompt', { prompt: '' }, /prompt/],
    ['no prompt', {}, /prompt/],
    ['a prompt over 100000 characters', { prompt: 'x'.repeat(100_001) }, /prompt/],
    ['maxTurns 0', { prompt: 'x', maxTurns: 0 }, /maxTurns/],
    ['maxTurns 101', { prompt: 'x', maxTurns: 101 }, /maxTurns/],
    ['maxTurns 1.5', { prompt: 'x', maxTurns: 1.5 }, /maxTurns/],
    ['a path-like sessionId', { prompt: 'x', sessionId: '../etc' }, /sessionId/],
    ['an empty sessionId', { prompt: 'x', sessionId: '' }, /sessionId/],
    ['allowedTools as a string', { prompt: 'x', allowedTools: 'Read' }, /allowedTools/],
    ['an empty tool name', { prompt: 'x', allowedTools: [''] }, /allowedTools/],
    ['a tool name with NUL', { prompt: 'x', allowedTools: ['a\0b'] }, /allowedTools/],
    ['101 tools', { prompt: 'x', allowedTools: Array(101).fill('Read') }, /allowedTools/],
    ['a model with a space', { prompt: 'x', model: 'claude x' }, /model/],
    ['an empty model', { prompt: 'x', model: '' }, /model/],
  ])('refuses %s with 400 invalid_request before any stream', async (_name, body, message) => {
    const before = api.requests.length;
    const r = await t.call('POST', '/execute', { body });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json().error.code).toBe('invalid_request');
    expect(r.json().error.message).toMatch(message);
    expect(api.requests.length).toBe(before);
  });

  it('stops the run when the client goes away', SLOW, async () => {
    api.setScript([{ hang: true }]);
    const before = modelTurns().length;
    const { response, abort } = t.open('POST', '/execute', { body: { prompt: 'Wait forever' } });
    const res = await response;
    expect(res.statusCode).toBe(200);
    res.resume();
    // Wait until the CLI is blocked on the model turn that never answers.
    for (let i = 0; i < 300 && modelTurns().length === before; i++) await sleep(50);
    expect(modelTurns().length).toBeGreaterThan(before);
    expect(await runningCommands(t)).toBe(1);
    expect(await processesIn(t.realRoot)).not.toEqual([]);

    abort();
    for (let i = 0; i < 100 && (await runningCommands(t)) !== 0; i++) await sleep(50);
    expect(await runningCommands(t)).toBe(0);
    for (let i = 0; i < 100 && (await processesIn(t.realRoot)).length > 0; i++) await sleep(50);
    expect(await processesIn(t.realRoot)).toEqual([]);
  });
});

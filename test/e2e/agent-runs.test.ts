import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readSnapshotManifest, snapshotPrefix } from '@berth/core';
import { FsBlobStore } from '../../local-docker/src/blobs/fs-blob-store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type FakeMessagesApi } from '../support/fake-messages-api.js';
import { expectErrorShape, readSse, uniq, useLocalBerth } from '../support/local-berth.js';

// POST /v1/workspaces/{id}/execute end to end: the public API → the workspace agent → the real Claude Agent
// SDK in the container → the workspace's egress proxy (which adds the real key) → a fake Messages API.
const REAL_KEY = `sk-ant-real-${randomBytes(8).toString('hex')}`;
const SLOW = { timeout: 120_000 };

let model: FakeMessagesApi;
beforeAll(async () => {
  model = await startFakeMessagesApi('hello');
});
afterAll(() => model?.close());

const b = useLocalBerth({
  egress: () => ({
    anthropicApiKey: REAL_KEY,
    anthropicUpstream: `http://api.anthropic.test:${model.port}`,
    // Test-only: the fake listens on loopback under a test name.
    allowLoopback: true,
    testHosts: { 'api.anthropic.test': ['127.0.0.1'] },
  }),
});

let id: string;
let conversationId: string;
beforeAll(async () => {
  conversationId = uniq('execute');
  id = (await b.createWorkspace(conversationId)).json.id;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK messages: assert on what matters
type EventData = Record<string, any>;

async function execute(body: Record<string, unknown>) {
  const res = await b.fetch('POST', `/v1/workspaces/${id}/execute`, { body });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return (await readSse(res)).map((e) => ({ event: e.event, data: JSON.parse(e.data) as EventData }));
}

describe('POST /v1/workspaces/{id}/execute', () => {
  it(
    'runs the agent: a tool call writes a file, files_changed names it, the result ends the stream',
    SLOW,
    async () => {
      model.setScript([
        { toolUse: { name: 'Write', input: { file_path: '/workspace/notes/plan.md', content: '# plan\n' } } },
        'done',
      ]);
      const events = await execute({ prompt: 'Write the plan' });
      const names = events.map((e) => e.event);
      expect(names.at(-1), JSON.stringify(events).slice(-2000)).toBe('result');
      expect(names.filter((n) => n === 'result')).toHaveLength(1);
      expect(events.at(-1)!.data).toMatchObject({ subtype: 'success', result: 'done' });
      expect(names).toContain('message');
      const changed = events.find((e) => e.event === 'files_changed');
      expect(changed?.data.changed).toContain('notes/plan.md');
      // files_changed comes after the tool ran, before the final answer.
      expect(names.indexOf('files_changed')).toBeLessThan(names.indexOf('result'));

      const file = await b.api('GET', `/v1/workspaces/${id}/files?path=notes/plan.md`);
      expect(file.status).toBe(200);
      expect(file.text).toBe('# plan\n');
      // Durable before the stream ended: the conversation's snapshot (what a successor restores) has it.
      const manifest = await readSnapshotManifest(
        new FsBlobStore(join(b.stateDir, 'blobs')),
        'tenantA',
        conversationId,
      );
      expect(manifest!.entries.map((e) => e.path)).toContain('notes/plan.md');
      const snapshot = join(b.stateDir, 'blobs', snapshotPrefix('tenantA', conversationId), manifest!.tar);
      const listed = execFileSync('tar', ['-tf', snapshot], { encoding: 'utf8' });
      expect(listed.split('\n').map((l) => l.replace(/^\.\//, ''))).toContain('notes/plan.md');
    },
  );

  it('calls the model with the real key, which the workspace never holds', SLOW, async () => {
    const turns = model.requests.filter((q) => q.method === 'POST' && q.url.startsWith('/v1/messages'));
    expect(turns.length).toBeGreaterThan(0);
    for (const q of turns) expect(q.headers['x-api-key']).toBe(REAL_KEY);
    const env = await b.exec(id, ['sh', '-c', 'cat /proc/1/environ /proc/self/environ | tr "\\0" "\\n"']);
    expect(env.json.stdout).not.toContain(REAL_KEY);
    const found = await b.exec(id, ['grep', '-rl', REAL_KEY, '/workspace', '/tmp', '/run/berth']);
    expect(found.json.stdout).toBe('');
  });

  it('continues a conversation with the sessionId of the last result', SLOW, async () => {
    model.setScript('first');
    const first = await execute({ prompt: 'Remember 42' });
    const sessionId = first.at(-1)!.data.session_id as string;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]+$/);
    model.setScript('second');
    const second = await execute({ prompt: 'What was it?', sessionId });
    expect(second.at(-1)).toMatchObject({ event: 'result', data: { subtype: 'success', result: 'second' } });
    // The resumed run sent the earlier exchange to the model again.
    const last = model.requests.filter((q) => q.url.startsWith('/v1/messages')).at(-1)!;
    expect(JSON.stringify(last.body)).toContain('Remember 42');
  });

  it('refuses bad input before the agent runs, and another tenant', async () => {
    const before = model.requests.length;
    for (const body of [{}, { prompt: '' }, { prompt: 'x', maxTurns: 0 }, { prompt: 'x', nope: 1 }]) {
      expectErrorShape(await b.api('POST', `/v1/workspaces/${id}/execute`, { body }), 400, 'invalid_request');
    }
    expectErrorShape(
      await b.api('POST', `/v1/workspaces/${id}/execute`, { body: { prompt: 'hi' }, key: b.keys.B }),
      404,
      'not_found',
    );
    expect(model.requests.length).toBe(before);
  });
});

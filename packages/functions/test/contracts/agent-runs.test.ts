import { Writable } from 'node:stream';
import { WorkspaceAgentError, acquireWorkspace, snapshotManifestKey } from '@berth/core';
import { apiRoutes, createApiHandler, StaticTenantResolver, type ApiEvent } from '@berth/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDeps } from '../../../core/test/support/make-deps.js';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { KEY_A, KEY_B, makeApi, quietObservability, type Answer, type TestAppDeps } from '../support/app.js';

const sseEvent = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const TRANSCRIPT = [
  sseEvent('message', { type: 'system', subtype: 'init', session_id: 's1' }),
  sseEvent('message', { type: 'assistant', message: { content: [{ type: 'text', text: 'writing' }] } }),
  sseEvent('files_changed', { changed: ['notes.md'], deleted: [] }),
  sseEvent('result', { type: 'result', subtype: 'success', result: 'done', session_id: 's1', num_turns: 2 }),
];

/** The SSE body as [{event, data}] (data parsed: every execute event carries JSON). */
const events = (body: string) =>
  body
    .trim()
    .split('\n\n')
    .map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      return { event: fields.event, data: JSON.parse(fields.data!) as unknown };
    });

function expectError(res: Answer, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json?.error?.code }).toEqual({ status, code });
  expect(res.json).toEqual({
    error: { code, message: expect.any(String), requestId: res.event.requestContext.requestId },
  });
}

const ready = async (api: ReturnType<typeof makeApi>) =>
  (await acquireWorkspace(api.deps, { tenantId: 'tenantA', conversationId: 'c1' })).workspace;

describe('POST /v1/workspaces/{id}/execute', () => {
  it('answers text/event-stream: the agent events as is (message, files_changed, result), whatever Accept says', async () => {
    const api = makeApi();
    const ws = await ready(api);
    api.deps.workspaceAgent.onAgentRun = () => TRANSCRIPT;
    for (const accept of [undefined, 'text/event-stream', 'application/json']) {
      const res = await api.call('POST', `/v1/workspaces/${ws.id}/execute`, {
        body: { prompt: 'write notes', maxTurns: 3 },
        headers: accept ? { accept } : {},
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(TRANSCRIPT.join(''));
      expect(events(res.body).map((e) => e.event)).toEqual(['message', 'message', 'files_changed', 'result']);
    }
    expect(api.deps.workspaceAgent.callsOf('streamAgentRun')[0]!.agentRunReq).toEqual({
      prompt: 'write notes',
      maxTurns: 3,
    });
    // files_changed saved the workspace's files under the conversation's snapshot.
    expect(api.deps.blobs.objects.has(snapshotManifestKey('tenantA', 'c1'))).toBe(true);
  });

  it('relays an agent error event as the final event', async () => {
    const api = makeApi();
    const ws = await ready(api);
    api.deps.workspaceAgent.onAgentRun = () => [
      sseEvent('error', { code: 'agent_error', message: 'model refused' }),
    ];
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/execute`, { body: { prompt: 'p' } });
    expect(res.statusCode).toBe(200);
    expect(events(res.body)).toEqual([
      { event: 'error', data: { code: 'agent_error', message: 'model refused' } },
    ]);
  });

  it.each([
    ['no body', undefined, 'invalid_request'],
    ['no prompt', { maxTurns: 2 }, 'invalid_request'],
    ['maxTurns over 100', { prompt: 'p', maxTurns: 101 }, 'invalid_request'],
    ['a model with whitespace', { prompt: 'p', model: 'a b' }, 'invalid_request'],
    ['an unknown field', { prompt: 'p', permissionMode: 'bypassPermissions' }, 'invalid_request'],
    ['malformed JSON', '{"prompt":', 'invalid_json'],
  ])('%s is a 400 (%s) before the agent is called', async (_what, body, code) => {
    const api = makeApi();
    const ws = await ready(api);
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/execute`, {
      body,
      headers: typeof body === 'string' ? { 'content-type': 'application/json' } : {},
    });
    expectError(res, 400, code);
    expect(api.deps.workspaceAgent.callsOf('streamAgentRun')).toEqual([]);
  });

  it('415 for a body that is not JSON', async () => {
    const api = makeApi();
    const ws = await ready(api);
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/execute`, {
      body: 'prompt=hi',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(res, 415, 'unsupported_media_type');
  });

  it('404 for an unknown workspace and for another tenant’s; 401 without a key', async () => {
    const api = makeApi();
    const ws = await ready(api);
    const body = { prompt: 'p' };
    expectError(await api.call('POST', '/v1/workspaces/ws_nope/execute', { body }), 404, 'not_found');
    expectError(
      await api.call('POST', `/v1/workspaces/${ws.id}/execute`, { body, key: KEY_B }),
      404,
      'not_found',
    );
    expectError(
      await api.call('POST', `/v1/workspaces/${ws.id}/execute`, { body, key: null }),
      401,
      'unauthorized',
    );
    expect(api.deps.workspaceAgent.callsOf('streamAgentRun')).toEqual([]);
  });

  it('resumes a paused workspace for a run; 409 not_ready for a provisioning one', async () => {
    const api = makeApi();
    const ws = await ready(api);
    expect((await api.call('POST', `/v1/workspaces/${ws.id}/pause`)).statusCode).toBe(200);
    const body = { prompt: 'p' };
    expect((await api.call('POST', `/v1/workspaces/${ws.id}/execute`, { body })).statusCode).toBe(200);
    expect((await api.call('GET', `/v1/workspaces/${ws.id}`)).json.status).toBe('ready');
    expect(api.deps.workspaceAgent.callsOf('streamAgentRun')).toHaveLength(1);
    api.deps.provisioner.mode = 'manual';
    const other = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c2', wait: false } });
    const res = await api.call('POST', `/v1/workspaces/${other.json.id}/execute`, { body });
    expectError(res, 409, 'not_ready');
    expect(res.headers['retry-after']).toBe('1');
    expect(api.deps.workspaceAgent.callsOf('streamAgentRun')).toHaveLength(1);
  });

  it('the agent refusing the body (its 400) is a 400, not a stream', async () => {
    const api = makeApi();
    const ws = await ready(api);
    api.deps.workspaceAgent.onAgentRun = () => {
      throw new WorkspaceAgentError(400, 'invalid_request', 'allowedTools: unknown tool');
    };
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/execute`, { body: { prompt: 'p' } });
    expectError(res, 400, 'invalid_request');
  });
});

describe('POST /v1/workspaces/{id}/execute, streamed (function URL)', () => {
  type Runtime = { streamifyResponse?: unknown; HttpResponseStream?: unknown };
  const g = globalThis as { awslambda?: Runtime };
  const saved = g.awslambda;
  afterEach(() => {
    g.awslambda = saved;
  });

  /** The streaming handler, over a response stream that records when each chunk arrived. */
  function streamingApi() {
    g.awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: { from: (s: Writable, meta: unknown) => Object.assign(s, { meta }) },
    };
    const deps: TestAppDeps = Object.assign(makeDeps(), {
      tenants: StaticTenantResolver.parse(`tenantA:${KEY_A}`),
    });
    const handler = createApiHandler(() => deps, {
      routes: apiRoutes,
      streaming: true,
      observability: quietObservability(),
    }) as unknown as (event: ApiEvent, stream: Writable, ctx: unknown) => Promise<void>;
    return { deps, handler };
  }

  it('sends each event as the agent produces it; a client going away ends the agent run', async () => {
    const { deps, handler } = streamingApi();
    const ws = (await acquireWorkspace(deps, { tenantId: 'tenantA', conversationId: 'c1' })).workspace;
    deps.workspaceAgent.onAgentRun = async function* () {
      yield TRANSCRIPT[0]!;
      await new Promise(() => {}); // the agent thinks for a long time
    };
    const chunks: string[] = [];
    let firstChunk!: () => void;
    const gotFirst = new Promise<void>((r) => (firstChunk = r));
    const response = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        firstChunk();
        cb();
      },
    });
    const event = apiEvent('POST', `/v1/workspaces/${ws.id}/execute`, {
      body: { prompt: 'p' },
      headers: { authorization: `Bearer ${KEY_A}` },
    });
    const done = handler(event, response, lambdaContext()).catch((e: unknown) => e);
    await gotFirst;
    expect((response as Writable & { meta?: unknown }).meta).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
    expect(chunks.join('')).toBe(TRANSCRIPT[0]);
    response.destroy(new Error('client disconnected'));
    expect(await done).toBeInstanceOf(Error);
    expect(deps.workspaceAgent.lastAgentRunBody!.destroyed).toBe(true);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { acquireWorkspace } from '@berth/core';
import { KEY_B, makeApi, type Answer } from '../support/app.js';

/** API.md "Errors": status plus {"error":{code,message,requestId}}, the requestId of the event, never a stack. */
function expectError(res: Answer, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json?.error?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json).toEqual({
    error: { code, message: expect.any(String), requestId: res.event.requestContext.requestId },
  });
  expect(res.json.error.message.length).toBeGreaterThan(0);
  expect(res.body).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

const ready = async (api: ReturnType<typeof makeApi>, tenantId = 'tenantA', conversationId = 'c1') =>
  (await acquireWorkspace(api.deps, { tenantId, conversationId })).workspace;

describe('errors: 400', () => {
  it('malformed JSON is invalid_json', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', {
      body: '{"conversationId": "c1",',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'invalid_json');
  });

  it.each([
    ['a bad conversationId', { conversationId: 'has space' }, 'conversationId'],
    ['a too long conversationId', { conversationId: 'x'.repeat(129) }, 'conversationId'],
    ['a missing conversationId', {}, 'conversationId'],
    ['an unknown field', { conversationId: 'c1', owner: 'me' }, 'owner'],
    ['a ttl out of range', { conversationId: 'c1', ttlSeconds: 30 }, 'ttlSeconds'],
  ])('create with %s is invalid_request naming the field', async (_what, body, field) => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', { body });
    expectError(res, 400, 'invalid_request');
    expect(res.json.error.message).toContain(field);
    expect(api.deps.store.records.size).toBe(0);
  });

  it.each([
    ['a shell string', { cmd: 'rm -rf /' }],
    ['numbers in argv', { cmd: ['echo', 1] }],
    ['an unknown field', { cmd: ['ls'], shell: true }],
  ])('exec with %s is invalid_request', async (_what, body) => {
    const api = makeApi();
    const ws = await ready(api);
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/exec`, { body });
    expectError(res, 400, 'invalid_request');
    expect(api.deps.workspaceAgent.callsOf('runCommand')).toEqual([]);
  });

  it.each(['../../etc/passwd', '/etc/passwd', '/workspace/../etc', 'a\u0000b'])(
    'a file path %j leaving /workspace is invalid_path',
    async (path) => {
      const api = makeApi();
      const ws = await ready(api);
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await api.call(method, `/v1/workspaces/${ws.id}/files`, {
          query: { path },
          ...(method === 'PUT' && {
            body: Buffer.from('x'),
            headers: { 'content-type': 'application/octet-stream' },
          }),
        });
        expectError(res, 400, 'invalid_path');
      }
      expect(api.deps.workspaceAgent.calls.filter((c) => /File/.test(c.op))).toEqual([]);
    },
  );

  it('a cwd leaving /workspace is invalid_path', async () => {
    const api = makeApi();
    const ws = await ready(api);
    expectError(
      await api.call('POST', `/v1/workspaces/${ws.id}/exec`, { body: { cmd: ['ls'], cwd: '/etc' } }),
      400,
      'invalid_path',
    );
  });

  it('a bad list query is invalid_request, and so is a forged cursor', async () => {
    const api = makeApi();
    expectError(
      await api.call('GET', '/v1/workspaces', { query: { status: 'running' } }),
      400,
      'invalid_request',
    );
    expectError(await api.call('GET', '/v1/workspaces', { query: { limit: '0' } }), 400, 'invalid_request');
    expectError(
      await api.call('GET', '/v1/workspaces', { query: { cursor: 'not-a-cursor' } }),
      400,
      'invalid_request',
    );
  });

  it('a malformed percent-encoding in the path is a 4xx, not a 500', async () => {
    const api = makeApi();
    expectError(await api.call('GET', '/v1/workspaces/%E0%A4%A'), 400, 'invalid_request');
    expectError(await api.call('GET', '/v1/workspaces/%E0%A4%A', { key: null }), 401, 'unauthorized');
  });
});

describe('errors: 401', () => {
  it.each([
    ['no Authorization header', null, undefined],
    ['a wrong key', 'keyZZZZZZZZ', undefined],
    ['a non-Bearer scheme', null, { authorization: 'Basic a2V5QUFBQUFBQUE=' }],
    ['an empty Bearer', null, { authorization: 'Bearer ' }],
  ])('%s is unauthorized', async (_what, key, headers) => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', { key, headers, body: { conversationId: 'c1' } });
    expectError(res, 401, 'unauthorized');
    expect(api.deps.store.records.size).toBe(0);
  });

  it('unknown routes without a key answer 401, not 404 (nothing is revealed)', async () => {
    const api = makeApi();
    expectError(await api.call('GET', '/v1/secret-admin', { key: null }), 401, 'unauthorized');
    expectError(await api.call('GET', '/v1/workspaces', { key: null }), 401, 'unauthorized');
    expectError(await api.call('GET', '/v1/pool', { key: 'wrong-key-123' }), 401, 'unauthorized');
  });
});

describe('errors: 404', () => {
  it('an unknown workspace id', async () => {
    const api = makeApi();
    for (const [method, path] of [
      ['GET', '/v1/workspaces/ws_nope'],
      ['DELETE', '/v1/workspaces/ws_nope'],
      ['POST', '/v1/workspaces/ws_nope/keepalive'],
      ['POST', '/v1/workspaces/ws_nope/pause'],
    ]) {
      expectError(await api.call(method!, path!), 404, 'not_found');
    }
    expectError(
      await api.call('POST', '/v1/workspaces/ws_nope/exec', { body: { cmd: ['ls'] } }),
      404,
      'not_found',
    );
    expectError(
      await api.call('GET', '/v1/workspaces/ws_nope/files', { query: { path: 'a' } }),
      404,
      'not_found',
    );
  });

  it("another tenant's workspace answers exactly like an unknown one (404, never 403), and is left alone", async () => {
    const api = makeApi();
    const ws = await ready(api);
    const unknown = await api.call('GET', '/v1/workspaces/ws_nope', { key: KEY_B });
    const theirs = await api.call('GET', `/v1/workspaces/${ws.id}`, { key: KEY_B });
    expectError(theirs, 404, 'not_found');
    expect(theirs.json.error.message).toBe(unknown.json.error.message);
    expectError(await api.call('DELETE', `/v1/workspaces/${ws.id}`, { key: KEY_B }), 404, 'not_found');
    expectError(
      await api.call('POST', `/v1/workspaces/${ws.id}/exec`, { key: KEY_B, body: { cmd: ['id'] } }),
      404,
      'not_found',
    );
    expectError(
      await api.call('GET', `/v1/workspaces/${ws.id}/files`, { key: KEY_B, query: { path: '.' } }),
      404,
      'not_found',
    );
    expect(api.deps.store.peek(ws.id)!.status).toBe('ready');
    expect(api.deps.workspaceAgent.callsOf('runCommand')).toEqual([]);
    // And B's list does not show it.
    expect((await api.call('GET', '/v1/workspaces', { key: KEY_B })).json.items).toEqual([]);
  });

  it('an unknown route with a valid key, and a known path with the wrong method', async () => {
    const api = makeApi();
    expectError(await api.call('GET', '/v1/nothing-here'), 404, 'not_found');
    expectError(await api.call('PATCH', '/v1/workspaces'), 404, 'not_found');
  });
});

describe('errors: 409, 413, 415, 422, 503, 500', () => {
  it('409 codes for the wrong state', async () => {
    const api = makeApi();
    api.deps.provisioner.mode = 'manual';
    const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1', wait: false } });
    const id = res.json.id;
    const exec = await api.call('POST', `/v1/workspaces/${id}/exec`, { body: { cmd: ['ls'] } });
    expectError(exec, 409, 'not_ready');
    expect(exec.headers['retry-after']).toBe('1');
    expectError(await api.call('POST', `/v1/workspaces/${id}/pause`), 409, 'conflict');
    await api.call('DELETE', `/v1/workspaces/${id}`);
    expectError(await api.call('POST', `/v1/workspaces/${id}/keepalive`), 409, 'workspace_ended');
    expectError(
      await api.call('POST', `/v1/workspaces/${id}/exec`, { body: { cmd: ['ls'] } }),
      409,
      'workspace_ended',
    );

    // A paused workspace is no 409 for exec, files or runs: they resume it (core auto-resume tests).
  });

  it('409 container_lost when the container died under the workspace', async () => {
    const api = makeApi();
    const ws = await ready(api);
    api.deps.runtime.setState(ws.taskRef!, 'stopped', { oomKilled: true });
    api.deps.workspaceAgent.unreachable = true;
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/exec`, { body: { cmd: ['ls'] } });
    expectError(res, 409, 'container_lost');
    // The conversation gets a fresh workspace on its next create.
    api.deps.workspaceAgent.unreachable = false;
    const again = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    expect(again.statusCode).toBe(201);
    expect(again.json.id).not.toBe(ws.id);
  });

  it('413 above the body limit (6 MiB), before anything parses it', async () => {
    const api = makeApi();
    const ws = await ready(api);
    const big = Buffer.alloc(6 * 1024 * 1024 + 1, 0x61);
    expectError(
      await api.call('PUT', `/v1/workspaces/${ws.id}/files`, {
        query: { path: 'big.bin' },
        body: big,
        base64: true,
        headers: { 'content-type': 'application/octet-stream' },
      }),
      413,
      'payload_too_large',
    );
    expectError(
      await api.call('POST', '/v1/workspaces', {
        body: JSON.stringify({ conversationId: 'c9', pad: 'x'.repeat(6 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'payload_too_large',
    );
    expect(api.deps.workspaceAgent.callsOf('writeFile')).toEqual([]);
  });

  it('exactly 6 MiB is accepted', async () => {
    const api = makeApi();
    const ws = await ready(api);
    const res = await api.call('PUT', `/v1/workspaces/${ws.id}/files`, {
      query: { path: 'big.bin' },
      body: Buffer.alloc(6 * 1024 * 1024, 0x61),
      base64: true,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.statusCode).toBe(204);
  });

  it('415 for a JSON endpoint sent another content type', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', {
      body: 'conversationId=c1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 415, 'unsupported_media_type');
    expectError(
      await api.call('POST', '/v1/workspaces', {
        body: '{"conversationId":"c1"}',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('application/json with a charset is fine', async () => {
    const api = makeApi();
    const res = await api.call('POST', '/v1/workspaces', {
      body: '{"conversationId":"c1"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.statusCode).toBe(201);
  });

  it('422 for an unknown template', async () => {
    const api = makeApi();
    expectError(
      await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1', template: 'gpu-xl' } }),
      422,
      'unprocessable',
    );
  });

  it('503 with Retry-After when provisioning fails', async () => {
    const api = makeApi();
    api.deps.runtime.failStart = Object.assign(new Error('RESOURCE:ENI'), { name: 'CapacityUnavailable' });
    const res = await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
    expectError(res, 503, 'provision_failed');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a plain Error from a dependency is a bare 500: no stack, no internal message, logged', async () => {
    const api = makeApi();
    const logged = vi.spyOn(api.observability.logger, 'error');
    const secret = 'connect ECONNREFUSED 10.0.3.7:8000 password=hunter2 at DynamoDB';
    api.deps.store.failNext.get = new Error(secret);
    const res = await api.call('GET', '/v1/workspaces/ws_x');
    expectError(res, 500, 'internal');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('10.0.3.7');
    expect(res.body).not.toContain('ECONNREFUSED');
    // The operator still gets the real error, with its stack, in the log.
    const [message, attributes] = logged.mock.calls[0]!;
    expect(message).toBe('unhandled error');
    expect((attributes as { error: Error }).error.message).toBe(secret);
  });

  it('a TypeError thrown inside a service is a bare 500 too', async () => {
    const api = makeApi();
    api.deps.workspaceAgent.onCommand = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'secretToken')");
    };
    const ws = await ready(api);
    const res = await api.call('POST', `/v1/workspaces/${ws.id}/exec`, { body: { cmd: ['ls'] } });
    expectError(res, 500, 'internal');
    expect(res.body).not.toContain('secretToken');
  });
});

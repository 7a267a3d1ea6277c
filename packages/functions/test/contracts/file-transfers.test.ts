import { FILE_TRANSFER_LIMITS } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { makeApi, KEY_B, type Answer } from '../support/app.js';

/** The API over memory fakes, its blob store able to presign (URLs name the key). Every answer is OpenAPI-checked. */
function api(presigns = true) {
  const a = makeApi();
  a.deps.clock.freeze();
  if (presigns) {
    const sign = async (key: string) => ({ url: `https://blobs.test/${key}`, headers: {} });
    Object.assign(a.deps.blobs, { presignPut: sign, presignGet: sign });
  }
  return a;
}

/** A ready workspace of tenant A, and its files in the fake agent. */
async function readyWorkspace(a: ReturnType<typeof api>) {
  const res = await a.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } });
  const id = res.json.id as string;
  return { id, files: a.deps.workspaceAgent.filesOf(a.deps.store.peek(id)!.endpoint!) };
}

function expectError(res: Answer, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json?.error?.code }).toEqual({ status, code });
}

describe('POST /v1/workspaces/{id}/files/uploads and .../complete', () => {
  it('answers a presigned PUT, then completes it into the workspace (204) once', async () => {
    const a = api();
    const { id, files } = await readyWorkspace(a);
    const up = await a.call('POST', `/v1/workspaces/${id}/files/uploads`, {
      body: { path: 'in/a.txt', size: 5 },
    });
    expect(up.statusCode).toBe(201);
    expect(up.json).toMatchObject({ method: 'PUT', size: 5, headers: {} });
    a.deps.blobs.objects.set(new URL(up.json.url).pathname.slice(1), Buffer.from('hello'));

    const path = `/v1/workspaces/${id}/files/uploads/${up.json.uploadId}/complete`;
    expect((await a.call('POST', path)).statusCode).toBe(204);
    expect(files.get('a.txt')?.toString()).toBe('hello');
    expectError(await a.call('POST', path), 404, 'not_found');
  });

  it('refuses bodies that do not fit: 400 naming the field, 415 for non-JSON', async () => {
    const a = api();
    const { id } = await readyWorkspace(a);
    const url = `/v1/workspaces/${id}/files/uploads`;
    for (const body of [
      { path: 'a' },
      { path: 'a', size: -1 },
      { path: 'a', size: 1.5 },
      { path: 'a', size: FILE_TRANSFER_LIMITS.maxBytes + 1 },
      { path: '', size: 1 },
      { path: 'a', size: 1, extra: true },
    ]) {
      expectError(await a.call('POST', url, { body }), 400, 'invalid_request');
    }
    expectError(await a.call('POST', url, { body: { path: '../x', size: 1 } }), 400, 'invalid_path');
    const text = await a.call('POST', url, { body: 'path=a', headers: { 'content-type': 'text/plain' } });
    expectError(text, 415, 'unsupported_media_type');
  });

  it('completing before the bytes arrived is 409; an unknown upload or another tenant 404', async () => {
    const a = api();
    const { id } = await readyWorkspace(a);
    const up = await a.call('POST', `/v1/workspaces/${id}/files/uploads`, { body: { path: 'a', size: 1 } });
    const path = `/v1/workspaces/${id}/files/uploads/${up.json.uploadId}/complete`;
    expectError(await a.call('POST', path), 409, 'conflict');
    expectError(await a.call('POST', path, { key: KEY_B }), 404, 'not_found');
    expectError(
      await a.call('POST', `/v1/workspaces/${id}/files/uploads/upl_nope/complete`),
      404,
      'not_found',
    );
  });

  it('a deployment whose blob store cannot presign answers 422', async () => {
    const a = api(false);
    const { id } = await readyWorkspace(a);
    const up = await a.call('POST', `/v1/workspaces/${id}/files/uploads`, { body: { path: 'a', size: 1 } });
    expectError(up, 422, 'unprocessable');
    const down = await a.call('POST', `/v1/workspaces/${id}/files/downloads`, { body: { path: 'a' } });
    expectError(down, 422, 'unprocessable');
  });
});

describe('POST /v1/workspaces/{id}/files/downloads', () => {
  it('stages the file and answers a presigned GET with its size', async () => {
    const a = api();
    const { id, files } = await readyWorkspace(a);
    files.set('out.bin', Buffer.from('0123456789'));
    const res = await a.call('POST', `/v1/workspaces/${id}/files/downloads`, { body: { path: 'out.bin' } });
    expect(res.statusCode).toBe(201);
    expect(res.json).toMatchObject({ method: 'GET', size: 10, headers: {} });
    const staged = a.deps.blobs.objects.get(new URL(res.json.url).pathname.slice(1));
    expect(staged?.toString()).toBe('0123456789');
  });

  it('a missing file is 404, a directory 400, another tenant 404', async () => {
    const a = api();
    const { id, files } = await readyWorkspace(a);
    files.set('d/x', Buffer.from('x'));
    const url = `/v1/workspaces/${id}/files/downloads`;
    expectError(await a.call('POST', url, { body: { path: 'nope' } }), 404, 'not_found');
    expectError(await a.call('POST', url, { body: { path: 'd' } }), 400, 'invalid_path');
    expectError(await a.call('POST', url, { body: { path: 'd/x' }, key: KEY_B }), 404, 'not_found');
  });
});

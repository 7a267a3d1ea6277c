import document from '@berth/protocol/openapi.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { makeApi } from '../support/app.js';
import { ContractViolation, responseChecker, type AnswerToCheck } from '../support/openapi-check.js';

const ready = async (api: ReturnType<typeof makeApi>) =>
  (await api.call('POST', '/v1/workspaces', { body: { conversationId: 'c1' } })).json.id as string;

/** The checked-in document with one change planted in it. */
function planted(change: (doc: typeof document) => void) {
  const doc = structuredClone(document);
  change(doc);
  return responseChecker(doc as unknown as Record<string, unknown>);
}

const answer = (a: Partial<AnswerToCheck> & Pick<AnswerToCheck, 'method' | 'path'>): AnswerToCheck => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: '{}',
  ...a,
});

describe('GET /v1/openapi.json', () => {
  it('answers the checked-in document without a key', async () => {
    const api = makeApi();
    const res = await api.call('GET', '/v1/openapi.json', { key: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual(document);
  });
});

describe('every answer is held to the document', () => {
  it('a route whose answer differs from the document fails', async () => {
    const api = makeApi();
    const id = await ready(api);
    const res = await api.call('GET', `/v1/workspaces/${id}`);
    const got = { method: 'GET', path: `/v1/workspaces/${id}`, ...res };
    // The real answer fits the real document...
    expect(() => responseChecker()(got)).not.toThrow();
    // ...and not one that says a workspace has another field, or no `fromPool`.
    const extraField = planted((doc) => {
      const ws = doc.components.schemas.Workspace as { required: string[]; properties: object };
      ws.required.push('owner');
      ws.properties = { ...ws.properties, owner: { type: 'string' } };
    });
    expect(() => extraField(got)).toThrow(/does not fit the document.*owner/);
    const noFromPool = planted((doc) => {
      delete (doc.components.schemas.Workspace.properties as Record<string, unknown>).fromPool;
    });
    expect(() => noFromPool(got)).toThrow(ContractViolation);
  });

  it('a status the operation does not list fails', async () => {
    const api = makeApi();
    const id = await ready(api);
    const res = await api.call('DELETE', `/v1/workspaces/${id}`);
    expect(res.statusCode).toBe(202);
    const without202 = planted((doc) => {
      delete (doc.paths['/v1/workspaces/{id}'].delete.responses as Record<string, unknown>)['202'];
    });
    expect(() => without202({ method: 'DELETE', path: `/v1/workspaces/${id}`, ...res })).toThrow(
      /lists 200, 400.*deleteWorkspace/,
    );
  });

  it('the wrong content type, a missing header, an error body of the wrong shape, a body where none is due', () => {
    const check = responseChecker();
    expect(() =>
      check(answer({ method: 'GET', path: '/v1/pool', headers: { 'content-type': 'text/plain' } })),
    ).toThrow(/content type "text\/plain"/);
    expect(() =>
      check(
        answer({
          method: 'POST',
          path: '/v1/workspaces/ws_1/exec/binary',
          headers: {
            'content-type': 'application/octet-stream',
            'x-timed-out': 'false',
            'x-duration-ms': '3',
          },
          body: 'AA==',
        }),
      ),
    ).toThrow(/header x-exit-code is missing/);
    expect(() =>
      check(
        answer({
          method: 'GET',
          path: '/v1/workspaces/ws_1',
          statusCode: 404,
          body: JSON.stringify({ error: { code: 'no_such_thing', message: 'x', requestId: 'r' } }),
        }),
      ),
    ).toThrow(/error\/code must be equal to one of the allowed values/);
    expect(() =>
      check(
        answer({
          method: 'DELETE',
          path: '/v1/workspaces/ws_1/files',
          statusCode: 204,
          headers: {},
          body: 'x',
        }),
      ),
    ).toThrow(/no body/);
    expect(() => check(answer({ method: 'PATCH', path: '/v1/workspaces', body: '{"items":[]}' }))).toThrow(
      /does not fit the document/,
    );
  });
});

import { Readable, Writable } from 'node:stream';
import { acquireWorkspace } from '@berth/core';
import {
  apiRoutes,
  createApiHandler,
  StaticTenantResolver,
  type ApiEvent,
  type ApiResponse,
} from '@berth/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDeps } from '../../../core/test/support/make-deps.js';
import { toApiEvent } from '../../src/http/rest-api-event.js';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { KEY_A, makeApi, quietObservability, type TestAppDeps } from '../support/app.js';
import { restApiEvent, type RestApiEventOptions } from '../support/rest-api-event.js';

/** The buffered API handler, called as the deployed REST API calls it: payload 1.0 events. */
function restApi() {
  const api = makeApi();
  async function call(
    method: string,
    path: string,
    opts: RestApiEventOptions & { key?: string | null } = {},
  ) {
    const key = opts.key === undefined ? KEY_A : opts.key;
    const headers = { ...(key !== null && { Authorization: `Bearer ${key}` }), ...opts.headers };
    const event = restApiEvent(method, path, { ...opts, headers });
    const res = (await api.handler(event as unknown as ApiEvent, lambdaContext())) as ApiResponse;
    if (typeof res.body !== 'string') throw new Error('buffered handler answered a stream');
    const json = res.headers['content-type']?.startsWith('application/json')
      ? JSON.parse(res.body)
      : undefined;
    return { ...res, body: res.body, json, requestId: event.requestContext.requestId };
  }
  return { ...api, call };
}

describe('REST API (payload 1.0) events through the API handler', () => {
  it('creates a workspace: method, path without stage, capitalized headers, base64 JSON body', async () => {
    const api = restApi();
    const res = await api.call('POST', '/v1/workspaces', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ conversationId: 'conv-1', labels: { team: 'a' } }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json).toMatchObject({ id: expect.stringMatching(/^ws_/), labels: { team: 'a' } });
    // What API Gateway REST reads back: statusCode, headers, body (isBase64Encoded only for bytes).
    expect(Object.keys(res).filter((k) => !['json', 'requestId'].includes(k))).toEqual(
      expect.arrayContaining(['statusCode', 'headers', 'body']),
    );
    expect(res).not.toHaveProperty('cookies');
  });

  it('reads the query: a workspace by id, and the list filtered by status and label', async () => {
    const api = restApi();
    const created = await api.call('POST', '/v1/workspaces', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ conversationId: 'conv-1', labels: { team: 'a' } }),
    });
    const id = created.json.id as string;
    const one = await api.call('GET', `/v1/workspaces/${id}`, { resource: '/v1/workspaces/{id}' });
    expect(one.statusCode).toBe(200);
    expect(one.json.id).toBe(id);
    const listed = await api.call('GET', '/v1/workspaces', { query: { status: 'ready', label: 'team:a' } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json.items.map((w: { id: string }) => w.id)).toEqual([id]);
    const none = await api.call('GET', '/v1/workspaces', { query: { status: 'stopped' } });
    expect(none.json.items).toEqual([]);
    const bad = await api.call('GET', '/v1/workspaces', { query: { status: 'running' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error).toEqual({
      code: 'invalid_request',
      message: expect.any(String),
      requestId: bad.requestId,
    });
  });

  it('writes bytes sent base64 (binaryMediaTypes */*) and answers them base64-encoded', async () => {
    const api = restApi();
    const created = await api.call('POST', '/v1/workspaces', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ conversationId: 'conv-1' }),
    });
    const files = { resource: '/v1/workspaces/{id}/files' };
    const path = `/v1/workspaces/${created.json.id}/files`;
    const content = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
    const put = await api.call('PUT', path, {
      ...files,
      query: { path: '/workspace/out/data.bin' },
      headers: { 'Content-Type': 'application/octet-stream' },
      body: content,
    });
    expect(put.statusCode).toBe(204);
    const get = await api.call('GET', path, { ...files, query: { path: 'out/data.bin' } });
    expect(get.statusCode).toBe(200);
    expect(get.isBase64Encoded).toBe(true);
    expect(Buffer.from(get.body, 'base64')).toEqual(content);
  });

  it('an unknown route is 401 without a key and 404 with one, with the REST request id', async () => {
    const api = restApi();
    const anonymous = await api.call('GET', '/v1/nope', { key: null });
    expect(anonymous.statusCode).toBe(401);
    const known = await api.call('GET', '/v1/nope');
    expect(known.statusCode).toBe(404);
    expect(known.json.error).toEqual({
      code: 'not_found',
      message: expect.any(String),
      requestId: known.requestId,
    });
  });

  it('a public route answers without a key', async () => {
    const res = await restApi().call('GET', '/health', { key: null });
    expect(res.statusCode).toBe(200);
  });
});

describe('toApiEvent', () => {
  it('joins repeated headers and query values as payload 2.0 does, names lower-cased, stage left out', () => {
    const event = toApiEvent(
      restApiEvent('GET', '/v1/workspaces', {
        headers: { 'X-Forwarded-For': ['203.0.113.7', '10.0.0.1'], Authorization: 'Bearer k' },
        query: { label: ['team:a', 'env:b'], limit: '5' },
        stage: 'prod',
        requestId: 'r-1',
      }),
    );
    expect(event.version).toBe('2.0');
    expect(event.rawPath).toBe('/v1/workspaces');
    expect(event.requestContext.http).toMatchObject({ method: 'GET', path: '/v1/workspaces' });
    expect(event.requestContext.requestId).toBe('r-1');
    expect(event.headers['x-forwarded-for']).toBe('203.0.113.7,10.0.0.1');
    expect(event.headers.authorization).toBe('Bearer k');
    expect(event.queryStringParameters).toEqual({ label: 'team:a,env:b', limit: '5' });
    expect(event.rawQueryString).toBe('label=team%3Aa&label=env%3Ab&limit=5');
    // The router matches the path (and path-params.ts decodes), as for 2.0 events.
    expect(event.pathParameters).toBeUndefined();
    expect(event.body).toBeUndefined();
  });

  it('a 2.0 event passes through as it is', () => {
    const v2 = apiEvent('GET', '/v1/workspaces', { query: { limit: '5' } });
    expect(toApiEvent(v2)).toBe(v2);
  });
});

describe('REST API (payload 1.0) events through the streaming handler (transfer mode STREAM)', () => {
  type Runtime = { streamifyResponse?: unknown; HttpResponseStream?: unknown };
  const g = globalThis as { awslambda?: Runtime };
  const saved = g.awslambda;
  afterEach(() => {
    g.awslambda = saved;
  });

  it('streams a file raw with its length', async () => {
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
    }) as unknown as (event: unknown, stream: Writable, ctx: unknown) => Promise<void>;
    const ws = (await acquireWorkspace(deps, { tenantId: 'tenantA', conversationId: 'c1' })).workspace;
    const content = Buffer.from('hello, stream');
    deps.workspaceAgent.readFile = async () => ({
      kind: 'file',
      body: Readable.from([content]),
      size: content.length,
    });
    const chunks: Buffer[] = [];
    const response = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    const event = restApiEvent('GET', `/v1/workspaces/${ws.id}/files`, {
      resource: '/v1/workspaces/{id}/files',
      query: { path: 'hello.txt' },
      headers: { Authorization: `Bearer ${KEY_A}` },
    });
    await handler(event, response, lambdaContext());
    expect((response as Writable & { meta?: unknown }).meta).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.length) },
    });
    expect(Buffer.concat(chunks)).toEqual(content);
  });
});

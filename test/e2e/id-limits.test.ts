import { describe, expect, it } from 'vitest';
import { expectErrorShape, uniq, useLocalBerth, type ApiAnswer } from '../support/local-berth.js';

// Ids and keys the store would refuse (DynamoDB keys: 2 KiB partition, 1 KiB sort) or that climb paths are
// refused at the edge: 4xx in API.md's shape, never a 5xx, and the store is never asked for them.
const b = useLocalBerth();

/** Every route that takes a workspace id, with a body it would accept. */
const ROUTES: { method: string; path: (id: string) => string; body?: unknown }[] = [
  { method: 'GET', path: (id) => `/v1/workspaces/${id}` },
  { method: 'DELETE', path: (id) => `/v1/workspaces/${id}` },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/keepalive`, body: {} },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/pause` },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/resume` },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/exec`, body: { cmd: ['true'] } },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/exec/binary`, body: { cmd: ['true'] } },
  { method: 'GET', path: (id) => `/v1/workspaces/${id}/files?path=a.txt` },
  { method: 'PUT', path: (id) => `/v1/workspaces/${id}/files?path=a.txt`, body: 'x' },
  { method: 'DELETE', path: (id) => `/v1/workspaces/${id}/files?path=a.txt` },
  { method: 'POST', path: (id) => `/v1/workspaces/${id}/execute`, body: { prompt: 'hi' } },
  { method: 'PUT', path: (id) => `/v1/workspaces/${id}/egress`, body: { allowDomains: ['example.com'] } },
];

const call = (method: string, path: string, body?: unknown) =>
  b.api(method, path, {
    ...(body === undefined ? {} : { body }),
    ...(typeof body === 'string' ? { headers: { 'content-type': 'application/octet-stream' } } : {}),
  });

function refused(r: ApiAnswer, what: string) {
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
}

describe('workspace ids of any length', () => {
  it.each([2047, 2049])('an id of %i characters is 404 not_found on every route', async (length) => {
    for (const id of [`ws_${'a'.repeat(length - 3)}`, 'x'.repeat(length)]) {
      for (const route of ROUTES) {
        const r = await call(route.method, route.path(id), route.body);
        expectErrorShape(r, 404, 'not_found');
      }
    }
  });

  it('an id of 60,000 characters is a 4xx on every route (the URL alone is past the header limit)', async () => {
    const id = `ws_${'a'.repeat(60_000 - 3)}`;
    for (const route of ROUTES) refused(await call(route.method, route.path(id), route.body), route.method);
  });

  it('the service is fine afterwards', async () => {
    const ws = (await b.createWorkspace(uniq('after-ids'))).json;
    expect(ws.status).toBe('ready');
    expect((await b.exec(ws.id, ['true'])).json.exitCode).toBe(0);
  });
});

describe('conversation ids', () => {
  it.each(['.', '..', '...'])('%j is 400 invalid_request and creates nothing', async (conversationId) => {
    const r = await b.api('POST', '/v1/workspaces', { body: { conversationId, wait: false } });
    expectErrorShape(r, 400, 'invalid_request');
    const list = await b.api('GET', '/v1/workspaces?limit=100');
    expect(
      list.json.items.filter((w: { conversationId: string }) => w.conversationId === conversationId),
    ).toEqual([]);
  });
});

describe('other strings that become store keys or filters', () => {
  it('label filters and cursors past the store limits are 400', async () => {
    for (const label of [`${'k'.repeat(64)}:v`, `k:${'v'.repeat(257)}`, `${'k'.repeat(3000)}:v`]) {
      expectErrorShape(await b.api('GET', `/v1/workspaces?label=${encodeURIComponent(label)}`), 400);
    }
    const forged = Buffer.from(
      JSON.stringify({ pk: 'WS#x', sk: 'WS', gsi1pk: 'TENANT#tenantA', gsi1sk: 'x'.repeat(1200) }),
    ).toString('base64url');
    expect(forged.length).toBeLessThanOrEqual(2048);
    expectErrorShape(await b.api('GET', `/v1/workspaces?cursor=${forged}`), 400, 'invalid_request');
    expectErrorShape(await b.api('GET', `/v1/workspaces?cursor=${'A'.repeat(3000)}`), 400, 'invalid_request');
  });
});

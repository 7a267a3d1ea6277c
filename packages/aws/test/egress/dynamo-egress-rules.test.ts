import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiError, type WorkspaceRecord } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoWorkspaceStore } from '../../src/dynamodb/dynamo-workspace-store.js';
import { workspaceKey } from '../../src/dynamodb/workspace-item.js';
import { DynamoEgressRules } from '../../src/egress/dynamo-egress-rules.js';
import { freshTable, localDynamoClient, useDynamoDbLocal } from '../support/dynamodb-local.js';
import { makeWorkspace } from '../support/workspace-fixture.js';

const db = useDynamoDbLocal();
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: DynamoWorkspaceStore;
let egress: DynamoEgressRules;

beforeAll(async () => {
  client = localDynamoClient(db);
  doc = DynamoDBDocumentClient.from(client);
  tableName = await freshTable(client);
  store = new DynamoWorkspaceStore({ tableName, client });
  egress = new DynamoEgressRules({ tableName, client: doc });
});
afterAll(() => client?.destroy());

async function stored(overrides: Partial<WorkspaceRecord> = {}): Promise<WorkspaceRecord> {
  const ws = makeWorkspace({ status: 'ready', deadlineAt: null, ...overrides });
  expect(await store.createForConversation(ws, { replaces: null })).toEqual({ ok: true });
  return ws;
}

const apiError = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
};

const MCP = { host: 'mcp.example.com', headers: { authorization: 'Bearer mcp-secret' } };

describe('DynamoEgressRules', () => {
  it('reads a workspace without rules as empty lists, with its tenant', async () => {
    const ws = await stored({ tenantId: 'tenant-x' });
    expect(await egress.read(ws.id)).toEqual({
      tenantId: 'tenant-x',
      rules: { allowDomains: [], headerRules: [] },
    });
  });

  it('put replaces only the parts it names, and a read right after sees it', async () => {
    const ws = await stored();
    await egress.put(ws.id, { allowDomains: ['api.example.com', '*.pypi.org:443'] });
    expect((await egress.read(ws.id))?.rules).toEqual({
      allowDomains: ['api.example.com', '*.pypi.org:443'],
      headerRules: [],
    });
    await egress.put(ws.id, { headerRules: [MCP] });
    expect((await egress.read(ws.id))?.rules).toEqual({
      allowDomains: ['api.example.com', '*.pypi.org:443'],
      headerRules: [MCP],
    });
    await egress.put(ws.id, { allowDomains: [] });
    expect((await egress.read(ws.id))?.rules).toEqual({ allowDomains: [], headerRules: [MCP] });
    await egress.put(ws.id, {});
    expect((await egress.read(ws.id))?.rules).toEqual({ allowDomains: [], headerRules: [MCP] });
  });

  it('leaves the workspace record as it was (the store ignores the rule attributes)', async () => {
    const ws = await stored();
    await egress.put(ws.id, { allowDomains: ['a.example.com'], headerRules: [MCP] });
    expect(await store.get(ws.id, { now: Date.now() })).toEqual(ws);
    const raw = await doc.send(new GetCommand({ TableName: tableName, Key: workspaceKey(ws.id) }));
    expect(raw.Item).toMatchObject({ egressAllowDomains: ['a.example.com'], egressHeaderRules: [MCP] });
  });

  it('put on a missing workspace is a 404 and creates nothing', async () => {
    const e = await apiError(egress.put('ws_missing0000000000000000', { allowDomains: ['x.example.com'] }));
    expect(e.status).toBe(404);
    expect(e.code).toBe('not_found');
    const raw = await doc.send(
      new GetCommand({ TableName: tableName, Key: workspaceKey('ws_missing0000000000000000') }),
    );
    expect(raw.Item).toBeUndefined();
  });

  it('put on a workspace that is not ready is a 409 and changes nothing', async () => {
    for (const status of ['provisioning', 'paused', 'stopping', 'stopped'] as const) {
      const ws = await stored({ status });
      const e = await apiError(egress.put(ws.id, { allowDomains: ['x.example.com'] }));
      expect(e.status).toBe(409);
      expect(e.code).toBe('conflict');
      expect(e.message).toContain(status);
      const raw = await doc.send(new GetCommand({ TableName: tableName, Key: workspaceKey(ws.id) }));
      expect(raw.Item?.egressAllowDomains).toBeUndefined();
    }
  });

  it('reads null for a missing workspace and for an ended one, whatever rules it kept', async () => {
    expect(await egress.read('ws_missing0000000000000000')).toBeNull();
    const ws = await stored();
    await egress.put(ws.id, { allowDomains: ['a.example.com'] });
    await store.update(ws.id, ws.version, { status: 'stopping' });
    expect(await egress.read(ws.id)).not.toBeNull();
    await store.update(ws.id, ws.version + 1, { status: 'stopped' });
    expect(await egress.read(ws.id)).toBeNull();
    const failed = await stored({ status: 'failed' });
    expect(await egress.read(failed.id)).toBeNull();
  });

  it('reads null for an item under a workspace key that is not a workspace', async () => {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...workspaceKey('ws_stray000000000000000000'), tenantId: 't', status: 'ready' },
      }),
    );
    expect(await egress.read('ws_stray000000000000000000')).toBeNull();
    const e = await apiError(egress.put('ws_stray000000000000000000', { allowDomains: [] }));
    expect(e.status).toBe(404);
  });
});

import { describe, expect, it } from 'vitest';
import {
  dueAt,
  fromWorkspaceItem,
  padMs,
  toWorkspaceItem,
  ttlEpochSeconds,
  updatePlan,
} from '../../src/dynamodb/workspace-item.js';
import { makeWorkspace } from '../support/workspace-fixture.js';

describe('workspace item mapping', () => {
  it('keys, TTL and index attributes of a live workspace', () => {
    const ws = makeWorkspace({
      id: 'ws_1',
      tenantId: 't1',
      createdAt: 1_700_000_000_123,
      expiresAt: 1_700_000_100_001,
      deadlineAt: 1_700_000_050_000,
    });
    expect(toWorkspaceItem(ws)).toMatchObject({
      pk: 'WS#ws_1',
      sk: 'WS',
      type: 'workspace',
      expiresAt: 1_700_000_101,
      expiresAtMs: 1_700_000_100_001,
      gsi1pk: 'TENANT#t1',
      gsi1sk: '0001700000000123#ws_1',
      gsi2pk: 'LIVE',
      gsi2sk: '0001700000100001#ws_1',
      gsi3pk: 'LIVE',
      gsi3sk: '0001700000050000#ws_1',
    });
  });

  it('a terminal workspace is in no live index; no deadline, no deadline sort key', () => {
    const item = toWorkspaceItem(makeWorkspace({ status: 'stopped', deadlineAt: null }));
    expect(item).not.toHaveProperty('gsi2pk');
    expect(item).not.toHaveProperty('gsi3pk');
    expect(item).not.toHaveProperty('gsi3sk');
  });

  it('round-trips a record exactly', () => {
    const ws = makeWorkspace({ labels: { a: 'b' }, endpoint: { kind: 'http', host: 'h', port: 9000 } });
    expect(fromWorkspaceItem(toWorkspaceItem(ws))).toEqual(ws);
  });

  it('pads ms so that string order is numeric order, and refuses what it cannot pad', () => {
    expect(padMs(5) < padMs(40)).toBe(true);
    expect(padMs(Number.MAX_SAFE_INTEGER)).toHaveLength(16);
    expect(() => padMs(-1)).toThrow(RangeError);
    expect(() => padMs(1.5)).toThrow(RangeError);
  });

  it('TTL seconds round up, so DynamoDB never deletes before expiresAt', () => {
    expect(ttlEpochSeconds(1_000)).toBe(1);
    expect(ttlEpochSeconds(1_001)).toBe(2);
  });

  it('dueAt is the earlier of lease end and deadline', () => {
    expect(dueAt(makeWorkspace({ expiresAt: 10, deadlineAt: null }))).toBe(10);
    expect(dueAt(makeWorkspace({ expiresAt: 10, deadlineAt: 5 }))).toBe(5);
    expect(dueAt(makeWorkspace({ expiresAt: 10, deadlineAt: 50 }))).toBe(10);
  });
});

describe('updatePlan', () => {
  it('derives TTL and the expiry sort key from expiresAt alone', () => {
    expect(updatePlan('ws_1', { expiresAt: 2_500 })).toEqual({
      set: { expiresAtMs: 2_500, expiresAt: 3, gsi2sk: '0000000000002500#ws_1' },
      remove: [],
    });
  });

  it('sets or removes the deadline sort key with deadlineAt', () => {
    expect(updatePlan('ws_1', { deadlineAt: 7 })).toEqual({
      set: { deadlineAt: 7, gsi3sk: '0000000000000007#ws_1' },
      remove: [],
    });
    expect(updatePlan('ws_1', { deadlineAt: null })).toEqual({
      set: { deadlineAt: null },
      remove: ['gsi3sk'],
    });
  });

  it('leaves the live indexes on a terminal status and stays in them otherwise', () => {
    expect(updatePlan('ws_1', { status: 'failed' })).toEqual({
      set: { status: 'failed' },
      remove: ['gsi2pk', 'gsi3pk', 'gsi4pk'],
    });
    expect(updatePlan('ws_1', { status: 'ready' })).toEqual({
      set: { status: 'ready', gsi2pk: 'LIVE', gsi3pk: 'LIVE' },
      remove: [],
    });
  });

  it('copies plain fields, keeps nulls and skips undefined', () => {
    expect(updatePlan('ws_1', { taskRef: null, readyAt: undefined, labels: { a: 'b' } })).toEqual({
      set: { taskRef: null, labels: { a: 'b' } },
      remove: [],
    });
  });
});

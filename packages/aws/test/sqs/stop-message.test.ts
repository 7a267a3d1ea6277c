import { describe, expect, it } from 'vitest';
import { MalformedStopMessage, parseStopMessage, stopMessageBody } from '../../src/sqs/stop-message.js';

const stop = { workspaceId: 'ws_abc123', tenantId: 'tenant-a' };

describe('stop message', () => {
  it('is versioned JSON that parses back to the same request', () => {
    const body = stopMessageBody(stop);
    expect(JSON.parse(body)).toEqual({ v: 1, ...stop });
    expect(parseStopMessage(body)).toEqual(stop);
  });

  it('keeps only the request’s fields', () => {
    const body = stopMessageBody({ ...stop, extra: 'x' } as typeof stop);
    expect(JSON.parse(body)).toEqual({ v: 1, ...stop });
  });

  it('accepts ids up to 128 characters', () => {
    const long = { workspaceId: 'w'.repeat(128), tenantId: 't'.repeat(128) };
    expect(parseStopMessage(stopMessageBody(long))).toEqual(long);
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['JSON but not an object', '"ws_abc123"'],
    ['null', 'null'],
    ['an array', '[1]'],
    ['no version', JSON.stringify(stop)],
    ['version 2', JSON.stringify({ ...stop, v: 2 })],
    ['version "1"', JSON.stringify({ ...stop, v: '1' })],
    ['missing workspaceId', JSON.stringify({ v: 1, tenantId: 'tenant-a' })],
    ['missing tenantId', JSON.stringify({ v: 1, workspaceId: 'ws_abc123' })],
    ['empty workspaceId', JSON.stringify({ v: 1, workspaceId: '', tenantId: 'tenant-a' })],
    ['empty tenantId', JSON.stringify({ v: 1, workspaceId: 'ws_abc123', tenantId: '' })],
    ['numeric workspaceId', JSON.stringify({ v: 1, workspaceId: 42, tenantId: 'tenant-a' })],
    [
      '129-character workspaceId',
      JSON.stringify({ v: 1, workspaceId: 'w'.repeat(129), tenantId: 'tenant-a' }),
    ],
    ['129-character tenantId', JSON.stringify({ v: 1, workspaceId: 'ws_abc123', tenantId: 't'.repeat(129) })],
  ])('rejects %s as MalformedStopMessage', (_case, body) => {
    let thrown: unknown;
    try {
      parseStopMessage(body);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MalformedStopMessage);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('MalformedStopMessage');
    expect((thrown as Error).message).toMatch(/^malformed stop message: /);
  });
});

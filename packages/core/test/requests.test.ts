import { describe, expect, it } from 'vitest';
import {
  ApiError,
  agentRunRequest,
  commandRequest as execRequest,
  createWorkspaceRequest,
  isValidConversationId,
  keepaliveRequest,
  listWorkspacesQuery as listQuery,
  parseRequest,
} from '@berth/core';

function refused(schema: Parameters<typeof parseRequest>[0], input: unknown): ApiError {
  try {
    parseRequest(schema, input);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('invalid_request');
    expect((e as ApiError).status).toBe(400);
    return e as ApiError;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('conversationId', () => {
  it.each(['c', 'conv-1', 'A.b_c:d-9', 'x'.repeat(128), 'tenant:thread.42', '.a', 'a.', '..-'])(
    'accepts %j',
    (id) => {
      expect(isValidConversationId(id)).toBe(true);
      expect(parseRequest(createWorkspaceRequest, { conversationId: id }).conversationId).toBe(id);
    },
  );

  it.each(['', 'x'.repeat(129), 'a b', 'a/b', 'é', 'a\nb', '../x', 'a#b', '.', '..', '...', '.'.repeat(128)])(
    'refuses %j, naming the field',
    (id) => {
      expect(isValidConversationId(id)).toBe(false);
      expect(refused(createWorkspaceRequest, { conversationId: id }).message).toMatch(/^conversationId: /);
    },
  );

  it('refuses non-strings and a missing id', () => {
    expect(isValidConversationId(12)).toBe(false);
    expect(refused(createWorkspaceRequest, { conversationId: 12 }).message).toMatch(/conversationId/);
    expect(refused(createWorkspaceRequest, {}).message).toMatch(/conversationId/);
  });
});

describe('create request', () => {
  it('keeps every documented field', () => {
    expect(
      parseRequest(createWorkspaceRequest, {
        conversationId: 'c1',
        template: 'default',
        ttlSeconds: 600,
        labels: { team: 'a' },
        wait: false,
      }),
    ).toEqual({
      conversationId: 'c1',
      template: 'default',
      ttlSeconds: 600,
      labels: { team: 'a' },
      wait: false,
    });
  });

  // The range itself (60..86400 by default) is the config's: checkTtl, tested in acquire/keepalive tests.
  it.each([0, -5, 1.5, '600'])('refuses ttlSeconds %j', (ttlSeconds) => {
    expect(refused(createWorkspaceRequest, { conversationId: 'c1', ttlSeconds }).message).toMatch(
      /^ttlSeconds: /,
    );
  });

  it.each([60, 86_400])('accepts ttlSeconds %j (the range ends)', (ttlSeconds) => {
    expect(parseRequest(createWorkspaceRequest, { conversationId: 'c1', ttlSeconds }).ttlSeconds).toBe(
      ttlSeconds,
    );
  });

  it('refuses unknown fields, naming them', () => {
    expect(refused(createWorkspaceRequest, { conversationId: 'c1', conversationID: 'x' }).message).toContain(
      'conversationID',
    );
  });

  it('refuses a non-boolean wait and non-string label values', () => {
    expect(refused(createWorkspaceRequest, { conversationId: 'c1', wait: 'yes' }).message).toMatch(/^wait: /);
    expect(refused(createWorkspaceRequest, { conversationId: 'c1', labels: { a: 1 } }).message).toMatch(
      /^labels/,
    );
  });

  it('refuses a body that is not an object', () => {
    expect(refused(createWorkspaceRequest, ['c1']).code).toBe('invalid_request');
    expect(refused(createWorkspaceRequest, null).code).toBe('invalid_request');
  });
});

describe('exec request', () => {
  it('accepts argv with options', () => {
    const r = parseRequest(execRequest, {
      cmd: ['ls', '-la'],
      cwd: 'src',
      env: { A_B: '1' },
      timeoutMs: 900_000,
    });
    expect(r.cmd).toEqual(['ls', '-la']);
  });

  it.each([
    ['a shell string', 'ls -la'],
    ['an empty array', []],
    ['numbers in argv', ['echo', 1]],
    ['null in argv', [null]],
  ])('refuses cmd as %s', (_what, cmd) => {
    expect(refused(execRequest, { cmd }).message).toMatch(/^cmd/);
  });

  it('refuses a timeout over 900000 ms, a bad env name and unknown fields', () => {
    expect(refused(execRequest, { cmd: ['x'], timeoutMs: 900_001 }).message).toMatch(/^timeoutMs: /);
    expect(refused(execRequest, { cmd: ['x'], env: { 'A-B': '1' } }).message).toMatch(/^env/);
    expect(refused(execRequest, { cmd: ['x'], shell: true }).message).toContain('shell');
  });
});

describe('execute request', () => {
  it('accepts a prompt alone, and every option at its limits', () => {
    expect(parseRequest(agentRunRequest, { prompt: 'hi' })).toEqual({ prompt: 'hi' });
    const full = {
      prompt: 'p'.repeat(100_000),
      sessionId: `${'a'.repeat(120)}_-Z9`,
      maxTurns: 100,
      allowedTools: Array.from({ length: 100 }, (_, i) => `T${i}`.padEnd(200, 'x')),
      model: 'claude-sonnet-4-5@2025:x'.padEnd(200, '9'),
    };
    expect(parseRequest(agentRunRequest, full)).toEqual(full);
  });

  it.each([
    ['no prompt', {}, /^prompt: /],
    ['an empty prompt', { prompt: '' }, /^prompt: /],
    ['a prompt over 100000 characters', { prompt: 'p'.repeat(100_001) }, /^prompt: /],
    ['a prompt that is not a string', { prompt: ['hi'] }, /^prompt: /],
    ['a sessionId with a slash', { prompt: 'p', sessionId: '../s' }, /^sessionId: /],
    ['an empty sessionId', { prompt: 'p', sessionId: '' }, /^sessionId: /],
    ['a sessionId over 128 characters', { prompt: 'p', sessionId: 's'.repeat(129) }, /^sessionId: /],
    ['maxTurns 0', { prompt: 'p', maxTurns: 0 }, /^maxTurns: /],
    ['maxTurns 101', { prompt: 'p', maxTurns: 101 }, /^maxTurns: /],
    ['a fractional maxTurns', { prompt: 'p', maxTurns: 1.5 }, /^maxTurns: /],
    ['101 allowedTools', { prompt: 'p', allowedTools: Array(101).fill('Read') }, /^allowedTools: /],
    ['an empty tool name', { prompt: 'p', allowedTools: [''] }, /^allowedTools\.0: /],
    ['a tool name over 200', { prompt: 'p', allowedTools: ['t'.repeat(201)] }, /^allowedTools\.0: /],
    ['allowedTools as a string', { prompt: 'p', allowedTools: 'Read' }, /^allowedTools: /],
    ['a model with a space', { prompt: 'p', model: 'claude sonnet' }, /^model: /],
    ['a model with a newline', { prompt: 'p', model: 'm\n' }, /^model: /],
    ['an empty model', { prompt: 'p', model: '' }, /^model: /],
    ['a model over 200', { prompt: 'p', model: 'm'.repeat(201) }, /^model: /],
    ['an unknown field', { prompt: 'p', permissionMode: 'bypassPermissions' }, /permissionMode/],
  ])('refuses %s, naming the field', (_what, body, message) => {
    expect(refused(agentRunRequest, body).message).toMatch(message);
  });
});

describe('keepalive and list', () => {
  it('keepalive takes only a positive integer ttlSeconds', () => {
    expect(parseRequest(keepaliveRequest, {})).toEqual({});
    expect(parseRequest(keepaliveRequest, { ttlSeconds: 120 })).toEqual({ ttlSeconds: 120 });
    expect(refused(keepaliveRequest, { ttlSeconds: 0 }).message).toMatch(/^ttlSeconds/);
    expect(refused(keepaliveRequest, { ttl: 120 }).message).toContain('ttl');
  });

  it('list query coerces limit and checks status and label', () => {
    expect(parseRequest(listQuery, {})).toEqual({ limit: 50 });
    expect(parseRequest(listQuery, { limit: '3', status: 'ready', label: 'k:v' })).toEqual({
      limit: 3,
      status: 'ready',
      label: 'k:v',
    });
    expect(refused(listQuery, { status: 'running' }).message).toMatch(/^status/);
    expect(refused(listQuery, { limit: '0' }).message).toMatch(/^limit/);
    expect(refused(listQuery, { limit: '101' }).message).toMatch(/^limit/);
    expect(refused(listQuery, { label: 'novalue' }).message).toMatch(/^label/);
  });

  it('a label filter has the bounds of labels (it becomes a store filter)', () => {
    expect(parseRequest(listQuery, { label: `${'k'.repeat(63)}:${'v'.repeat(256)}` }).label).toHaveLength(
      320,
    );
    expect(parseRequest(listQuery, { label: 'team/x:a:b' }).label).toBe('team/x:a:b');
    expect(refused(listQuery, { label: `${'k'.repeat(64)}:v` }).message).toMatch(/^label/);
    expect(refused(listQuery, { label: `k:${'v'.repeat(257)}` }).message).toMatch(/^label/);
    expect(refused(listQuery, { label: 'a key:v' }).message).toMatch(/^label/);
  });
});

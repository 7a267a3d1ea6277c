import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentRunRequest, ApiError, commandRequest, parseRequest } from '@berth/core';
import { AgentHttpError } from '../src/errors.js';
import { parseCommandRequest } from '../src/commands/command-request.js';
import { parseAgentRunRequest } from '../src/agent-runs/agent-run-request.js';
import { openWorkspaceRoot, type WorkspaceRoot } from '../src/files/safe-path.js';

/**
 * One schema per request (issue 8): the control plane (core's parseRequest, what the API handlers call) and
 * the workspace agent (its request parsers, what its routes call) accept and refuse the same bodies, and
 * refuse them with the same message, naming the same field.
 */

type Verdict = { ok: true } | { ok: false; message: string };

const controlPlane = (schema: Parameters<typeof parseRequest>[0], body: unknown): Verdict => {
  try {
    parseRequest(schema, body);
    return { ok: true };
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('invalid_request');
    return { ok: false, message: (e as ApiError).message };
  }
};

const agent = async (parse: () => unknown): Promise<Verdict> => {
  try {
    await parse();
    return { ok: true };
  } catch (e) {
    expect(e).toBeInstanceOf(AgentHttpError);
    expect((e as AgentHttpError).code).toBe('invalid_request');
    return { ok: false, message: (e as AgentHttpError).message };
  }
};

let ws: WorkspaceRoot;
beforeAll(async () => {
  ws = await openWorkspaceRoot(await mkdtemp(join(tmpdir(), 'berth-same-rules-')));
});

// [case, body, the field the refusal names (null: accepted)]
const COMMANDS: [string, Record<string, unknown>, string | null][] = [
  ['argv alone', { cmd: ['ls', '-la'] }, null],
  ['every field', { cmd: ['env'], env: { A_B: '1' }, timeoutMs: 900_000, stdin: 'x' }, null],
  ['no cmd', {}, 'cmd'],
  ['cmd as a shell string', { cmd: 'ls -la' }, 'cmd'],
  ['an empty cmd', { cmd: [] }, 'cmd'],
  ['an empty command name', { cmd: [''] }, 'cmd.0'],
  ['a number in argv', { cmd: ['echo', 1] }, 'cmd.1'],
  ['a NUL in argv', { cmd: ['echo', 'a\0b'] }, 'cmd.1'],
  ['a bad env name', { cmd: ['x'], env: { 'A-B': '1' } }, 'env.A-B'],
  ['an env name with =', { cmd: ['x'], env: { 'A=B': '1' } }, 'env.A=B'],
  ['a non-string env value', { cmd: ['x'], env: { A: 1 } }, 'env.A'],
  ['env as an array', { cmd: ['x'], env: ['A=1'] }, 'env'],
  ['timeoutMs 0', { cmd: ['x'], timeoutMs: 0 }, 'timeoutMs'],
  ['timeoutMs too big', { cmd: ['x'], timeoutMs: 900_001 }, 'timeoutMs'],
  ['a fractional timeoutMs', { cmd: ['x'], timeoutMs: 1.5 }, 'timeoutMs'],
  ['a non-string stdin', { cmd: ['x'], stdin: 5 }, 'stdin'],
  ['a non-string cwd', { cmd: ['x'], cwd: 5 }, 'cwd'],
  ['an unknown field', { cmd: ['x'], shell: true }, 'shell'],
];

const AGENT_RUNS: [string, Record<string, unknown>, string | null][] = [
  ['a prompt alone', { prompt: 'hi' }, null],
  [
    'every option at its limits',
    {
      prompt: 'p'.repeat(100_000),
      sessionId: 's'.repeat(128),
      maxTurns: 100,
      allowedTools: ['Read'],
      model: 'm',
    },
    null,
  ],
  ['no prompt', {}, 'prompt'],
  ['an empty prompt', { prompt: '' }, 'prompt'],
  ['a too long prompt', { prompt: 'p'.repeat(100_001) }, 'prompt'],
  ['maxTurns 0', { prompt: 'p', maxTurns: 0 }, 'maxTurns'],
  ['maxTurns too big', { prompt: 'p', maxTurns: 101 }, 'maxTurns'],
  ['a path-like sessionId', { prompt: 'p', sessionId: '../etc' }, 'sessionId'],
  ['an empty sessionId', { prompt: 'p', sessionId: '' }, 'sessionId'],
  ['allowedTools as a string', { prompt: 'p', allowedTools: 'Read' }, 'allowedTools'],
  ['101 tools', { prompt: 'p', allowedTools: Array(101).fill('Read') }, 'allowedTools'],
  ['a tool name with NUL', { prompt: 'p', allowedTools: ['a\0b'] }, 'allowedTools.0'],
  ['a model with a space', { prompt: 'p', model: 'claude x' }, 'model'],
  ['a model with NUL', { prompt: 'p', model: 'm\0' }, 'model'],
  ['an unknown field', { prompt: 'p', maxTurn: 3 }, 'maxTurn'],
];

const expectSame = (cp: Verdict, ag: Verdict, field: string | null) => {
  expect(ag).toEqual(cp);
  if (field === null) expect(cp.ok).toBe(true);
  else {
    expect(cp.ok).toBe(false);
    const message = (cp as { message: string }).message;
    // `field: rule`, or `unknown field "name"` for a field no schema has.
    expect(message.startsWith(`${field}: `) || message === `unknown field "${field}"`, message).toBe(true);
  }
};

describe('one schema per request: control plane and workspace agent agree', () => {
  it.each(COMMANDS)('command request: %s', async (_what, body, field) => {
    expectSame(controlPlane(commandRequest, body), await agent(() => parseCommandRequest(body, ws)), field);
  });

  it.each(AGENT_RUNS)('agent run request: %s', async (_what, body, field) => {
    expectSame(controlPlane(agentRunRequest, body), await agent(() => parseAgentRunRequest(body)), field);
  });
});

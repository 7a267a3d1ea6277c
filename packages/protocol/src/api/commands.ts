import * as z from 'zod/mini';
import { WORKSPACE_AGENT_LIMITS } from '../workspace-agent/limits.js';
import { intIn, JSON_OBJECT, textOf } from './field-rules.js';
import { REQUEST_LIMITS as L } from './limits.js';

/**
 * A command: argv run without a shell (`POST /v1/workspaces/{id}/exec`, and the workspace agent's
 * `POST /exec`, `/exec/stream`, `/exec/binary`). The control plane checks it before a workspace is touched;
 * the agent checks it again with the same schema, so both refuse the same bodies with the same words.
 */

const CMD_RULE = 'must be a non-empty array of strings (argv, no shell)';
const ARG_RULE = `arguments are strings of at most ${L.maxArgChars} characters, without NUL`;
const ENV_NAME_RULE = 'env names are letters, digits and _, not starting with a digit';
const ENV_VALUE_RULE = 'env values are strings without NUL';

const commandFields = {
  cmd: z.array(textOf(0, L.maxArgChars, ARG_RULE), { error: CMD_RULE }).check(
    z.minLength(1, CMD_RULE),
    z.maxLength(L.maxArgs, `at most ${L.maxArgs} arguments`),
    z.refine((argv) => argv[0] !== '', { message: 'the command name must not be empty', path: [0] }),
  ),
  /** Relative to the workspace dir, or absolute under it; whoever runs the command confines it. */
  cwd: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.maxLength(L.maxCwdChars, `at most ${L.maxCwdChars} characters`)),
  ),
  env: z.optional(
    z.record(
      z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, ENV_NAME_RULE)),
      z.string({ error: ENV_VALUE_RULE }).check(z.refine((v) => !v.includes('\0'), ENV_VALUE_RULE)),
      { error: 'must be an object of NAME: value strings' },
    ),
  ),
  timeoutMs: z.optional(intIn(1, WORKSPACE_AGENT_LIMITS.maxTimeoutMs)),
  stdin: z.optional(z.string({ error: 'must be a string' })),
};

/** The public API's command request. */
export const commandRequest = z.strictObject(commandFields, JSON_OBJECT);
export type CommandRequest = z.infer<typeof commandRequest>;

/**
 * The agent's: the public request plus the per-stream output cap the control plane may set. Its type is
 * `AgentCommandRequest` (../workspace-agent/api.ts), a plain interface held equal to this schema.
 */
export const agentCommandRequest = z.strictObject(
  { ...commandFields, maxOutputBytes: z.optional(intIn(1, WORKSPACE_AGENT_LIMITS.maxOutputBytesLimit)) },
  JSON_OBJECT,
);

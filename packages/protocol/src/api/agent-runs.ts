import * as z from 'zod/mini';
import { WORKSPACE_AGENT_LIMITS } from '../workspace-agent/limits.js';
import { intIn, JSON_OBJECT, textOf } from './field-rules.js';
import { REQUEST_LIMITS as L } from './limits.js';

/**
 * An agent run: one Claude conversation turn in the workspace (`POST /v1/workspaces/{id}/execute`, and the
 * workspace agent's `POST /execute`). The control plane refuses a bad body before a workspace is touched; the
 * agent checks it again with this same schema (400 before any SSE).
 */

const TOOLS_RULE = `must be an array of at most ${L.maxTools} tool names`;
const TOOL_RULE = `tool names are non-empty strings of at most ${L.maxNameChars} characters`;
const MODEL_RULE = `must be a non-empty string of at most ${L.maxNameChars} characters, no spaces`;
/** The SDK's session ids are UUIDs; anything shell- or path-like is refused before it reaches the CLI. */
const SESSION_ID_RULE = 'must be 1 to 128 characters of A-Z, a-z, 0-9, "_" and "-"';

/** Its type is `AgentRunRequest` (../workspace-agent/api.ts), a plain interface held equal to this schema. */
export const agentRunRequest = z.strictObject(
  {
    prompt: z
      .string({ error: `must be a string of 1 to ${WORKSPACE_AGENT_LIMITS.maxPromptChars} characters` })
      .check(
        z.minLength(1, `must be a string of 1 to ${WORKSPACE_AGENT_LIMITS.maxPromptChars} characters`),
        z.maxLength(
          WORKSPACE_AGENT_LIMITS.maxPromptChars,
          `must be a string of 1 to ${WORKSPACE_AGENT_LIMITS.maxPromptChars} characters`,
        ),
      ),
    sessionId: z.optional(
      z.string({ error: SESSION_ID_RULE }).check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, SESSION_ID_RULE)),
    ),
    maxTurns: z.optional(intIn(1, WORKSPACE_AGENT_LIMITS.maxTurns)),
    allowedTools: z.optional(
      z
        .array(textOf(1, L.maxNameChars, TOOL_RULE), { error: TOOLS_RULE })
        .check(z.maxLength(L.maxTools, TOOLS_RULE)),
    ),
    model: z.optional(
      z
        .string({ error: MODEL_RULE })
        .check(z.maxLength(L.maxNameChars, MODEL_RULE), z.regex(/^[^\s\0]+$/, MODEL_RULE)),
    ),
  },
  JSON_OBJECT,
);

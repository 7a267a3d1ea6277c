import { invalidRequest } from '../errors.js';
import { AGENT_LIMITS, type ExecuteRequest } from '@berth/protocol';

const KNOWN = new Set(['prompt', 'sessionId', 'maxTurns', 'allowedTools', 'model']);
/** The SDK's session ids are UUIDs; anything shell- or path-like is refused before it reaches the CLI. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TOOLS = 100;
const MAX_NAME_CHARS = 200;

/** Strict validation of ExecuteRequest: unknown fields are refused so typos (`max_turns`) do not pass. */
export function parseExecuteRequest(body: Record<string, unknown>): ExecuteRequest {
  for (const key of Object.keys(body)) if (!KNOWN.has(key)) throw invalidRequest(`unknown field "${key}"`);
  const { prompt, sessionId, maxTurns, allowedTools, model } = body;

  if (typeof prompt !== 'string' || prompt === '' || prompt.length > AGENT_LIMITS.maxPromptChars) {
    throw invalidRequest(`prompt must be a string of 1 to ${AGENT_LIMITS.maxPromptChars} characters`);
  }
  if (sessionId !== undefined && (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId))) {
    throw invalidRequest('sessionId must be 1 to 128 characters of A-Z, a-z, 0-9, "_" and "-"');
  }
  if (maxTurns !== undefined && !isIntIn(maxTurns, 1, AGENT_LIMITS.maxTurns)) {
    throw invalidRequest(`maxTurns must be an integer from 1 to ${AGENT_LIMITS.maxTurns}`);
  }
  if (allowedTools !== undefined) {
    if (!Array.isArray(allowedTools) || allowedTools.length > MAX_TOOLS) {
      throw invalidRequest(`allowedTools must be an array of at most ${MAX_TOOLS} tool names`);
    }
    for (const t of allowedTools) {
      if (typeof t !== 'string' || t === '' || t.length > MAX_NAME_CHARS || t.includes('\0')) {
        throw invalidRequest(
          `allowedTools entries must be non-empty strings of at most ${MAX_NAME_CHARS} characters`,
        );
      }
    }
  }
  if (
    model !== undefined &&
    (typeof model !== 'string' || model === '' || model.length > MAX_NAME_CHARS || /[\s\0]/.test(model))
  ) {
    throw invalidRequest(
      `model must be a non-empty string of at most ${MAX_NAME_CHARS} characters, no spaces`,
    );
  }

  return {
    prompt,
    ...(sessionId !== undefined && { sessionId: sessionId as string }),
    ...(maxTurns !== undefined && { maxTurns }),
    ...(allowedTools !== undefined && { allowedTools: allowedTools as string[] }),
    ...(model !== undefined && { model: model as string }),
  };
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

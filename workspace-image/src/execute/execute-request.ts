import { agentRunRequest, parseWith, type ExecuteRequest } from '@berth/protocol';
import { invalidRequest } from '../errors.js';

/**
 * Checks an agent run request with the protocol's schema: the control plane checks the same one, so both
 * refuse the same bodies (unknown fields included, so typos like `max_turns` do not pass) with the same words.
 */
export function parseExecuteRequest(body: Record<string, unknown>): ExecuteRequest {
  const parsed = parseWith(agentRunRequest, body);
  if (!parsed.ok) throw invalidRequest(parsed.message);
  return parsed.data;
}

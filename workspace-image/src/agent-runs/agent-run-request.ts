import { agentRunRequest, parseWith, type AgentRunRequest } from '@berth/protocol';
import { agentInvalidRequest } from '../errors.js';

/**
 * Checks an agent run request with the protocol's schema: the control plane checks the same one, so both
 * refuse the same bodies (unknown fields included, so typos like `max_turns` do not pass) with the same words.
 */
export function parseAgentRunRequest(body: Record<string, unknown>): AgentRunRequest {
  const parsed = parseWith(agentRunRequest, body);
  if (!parsed.ok) throw agentInvalidRequest(parsed.message);
  return parsed.data;
}

import { verifyAgentToken, type AgentTokenCheck } from '@berth/protocol/agent-token';
import type { AgentConfig } from './config.js';

/** Why a request was let in or not; the reason (never the token) goes into the request log. */
export type AuthResult = AgentTokenCheck | { ok: false; reason: 'missing' };

/**
 * Checks an `Authorization: Bearer <token>` header: an agent token (@berth/protocol/agent-token) signed by
 * the control plane's key, naming this workspace, within its lifetime by the agent's clock. No secret is
 * compared, so nothing here needs constant time.
 */
export function makeAuthCheck(
  config: Pick<AgentConfig, 'workspaceId' | 'tokenPublicKey' | 'now'>,
): (header: string | undefined) => AuthResult {
  const now = config.now ?? Date.now;
  return (header) => {
    const m = header ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!m?.[1]) return { ok: false, reason: 'missing' };
    return verifyAgentToken(config.tokenPublicKey, m[1], {
      workspaceId: config.workspaceId,
      nowSeconds: Math.floor(now() / 1000),
    });
  };
}

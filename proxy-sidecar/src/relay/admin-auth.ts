import type { KeyObject } from 'node:crypto';
import type { AgentTokenCheck } from '@berth/protocol/agent-token';
import { verifyAgentToken } from '@berth/protocol/agent-token';

export type AdminAuthCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | Exclude<AgentTokenCheck, { ok: true }>['reason'] };

/**
 * Whether an admin call carries `Authorization: Bearer <token>` with a `proxy`-audience token for this
 * workspace, signed by the control plane. The workspace shares the relay's network namespace and reaches
 * the admin port too, so a shared secret would not do: only the control plane can sign such a token, and
 * the tokens the workspace's agent does see (`agent`) are refused here like every other audience.
 */
export function checkAdminBearer(
  header: string | undefined,
  publicKey: KeyObject,
  workspaceId: string,
  nowSeconds: number,
): AdminAuthCheck {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return { ok: false, reason: 'missing' };
  const check = verifyAgentToken(publicKey, match[1], { workspaceId, audience: 'proxy', nowSeconds });
  return check.ok ? { ok: true } : check;
}

import type { KeyObject } from 'node:crypto';
import type { AgentTokenCheck } from '@berth/protocol/agent-token';
import { verifyAgentToken } from '@berth/protocol/agent-token';

/** Why a credential handed to the relay was not taken. */
export type CredentialRejection = Exclude<AgentTokenCheck, { ok: true }>['reason'];

/**
 * The workspace's proxy credential (an `egress` token), which only the relay holds: it is added to every
 * request forwarded to the gateway and never shown to the workspace. Until one is held, or once it has
 * expired on the relay's clock, there is nothing to forward with.
 */
export class ProxyCredentialHolder {
  private held: { token: string; expiresAt: number } | null = null;

  constructor(
    private readonly publicKey: KeyObject,
    private readonly workspaceId: string,
  ) {}

  /** The credential to send now, or null when none is held or it has expired. */
  current(nowSeconds: number): string | null {
    if (this.held === null || this.held.expiresAt <= nowSeconds) return null;
    return this.held.token;
  }

  /**
   * Takes `token` if it is an `egress` token for this workspace (or for `servedId`, the workspace that took
   * this task over, as the authorised admin call says), signed by the control plane and not expired (the
   * verifier's clock skew allowance aside: an expired credential would only earn 407s). The newest credential
   * handed over replaces the one held.
   */
  offer(
    token: string,
    nowSeconds: number,
    servedId: string = this.workspaceId,
  ): { ok: true; expiresAt: number } | { ok: false; reason: CredentialRejection } {
    const check = verifyAgentToken(this.publicKey, token, {
      workspaceId: servedId,
      audience: 'egress',
      nowSeconds,
    });
    if (!check.ok) return check;
    const { expiresAt } = check.claims;
    if (expiresAt <= nowSeconds) return { ok: false, reason: 'expired' };
    this.held = { token, expiresAt };
    return { ok: true, expiresAt };
  }
}

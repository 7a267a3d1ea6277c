import type { KeyObject } from 'node:crypto';
import { signAgentToken } from '@berth/protocol/agent-token';
import type { AgentTokenIssuer } from '../ports/agent-token-issuer.js';
import type { Clock } from '../ports/clock.js';

export interface SignedAgentTokensOptions {
  clock: Clock;
  /** How long a token lives; default 5 minutes (the protocol allows at most 15). */
  lifetimeSeconds?: number;
  /** Workspaces whose current token is kept for reuse; the oldest entry goes first. Default 10,000. */
  cacheSize?: number;
}

/**
 * Agent tokens signed with the control plane's Ed25519 key. A workspace's token is reused until half its life
 * has passed, so a busy workspace costs one signature per few minutes, not one per call; a reused token still
 * has minutes left, longer than any single call takes to start.
 */
export class SignedAgentTokens implements AgentTokenIssuer {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();
  private readonly lifetime: number;
  private readonly cacheSize: number;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly opts: SignedAgentTokensOptions,
  ) {
    this.lifetime = opts.lifetimeSeconds ?? 300;
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  tokenFor(workspaceId: string): string {
    const now = Math.floor(this.opts.clock.now() / 1000);
    const cached = this.cache.get(workspaceId);
    if (cached && now < cached.renewAt) return cached.token;
    const token = signAgentToken(this.privateKey, {
      workspaceId,
      issuedAt: now,
      expiresAt: now + this.lifetime,
    });
    this.cache.delete(workspaceId);
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(workspaceId, { token, renewAt: now + Math.floor(this.lifetime / 2) });
    return token;
  }
}

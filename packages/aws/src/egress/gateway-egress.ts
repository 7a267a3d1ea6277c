import type { KeyObject } from 'node:crypto';
import {
  agentIdOf,
  ApiError,
  dependencyTimeout,
  systemClock,
  type Clock,
  type EgressController,
  type WorkspaceEgressRules,
  type WorkspaceRecord,
} from '@berth/core';
import { SIDECAR_ADMIN, type SidecarCredentialRequest } from '@berth/protocol';
import { EGRESS_TOKEN_MAX_LIFETIME_SECONDS, signAgentToken } from '@berth/protocol/agent-token';
import type { DynamoEgressRules } from './dynamo-egress-rules.js';

export interface GatewayEgressOptions {
  rules: Pick<DynamoEgressRules, 'put'>;
  /** The control plane's Ed25519 private key: the one that signs agent tokens (agentSigningKeyFromSecret). */
  signingKey: KeyObject;
  clock?: Clock;
  /**
   * How long `apply` waits after the write: the gateway's policy cache TTL (1 s) plus a margin. Default
   * {@link DEFAULT_PROPAGATION_MS}.
   */
  propagationMs?: number;
  /** Deadline of the call to the sidecar's admin API. Default 5 s. */
  adminTimeoutMs?: number;
}

export const DEFAULT_PROPAGATION_MS = 1_500;
/** The `proxy` token only authorises this one call: it need not outlive it by much. */
const ADMIN_TOKEN_LIFETIME_SECONDS = 60;

/**
 * {@link EgressController} on ECS: the shared egress gateway enforces every workspace's rules, reading them
 * from the workspace's item; each task's sidecar relays to it with the workspace's proxy credential.
 */
export class GatewayEgress implements EgressController {
  constructor(private readonly opts: GatewayEgressOptions) {}

  /**
   * Writes the rules, then waits until every gateway task reads them. A gateway's cached answer expires TTL
   * after its read *started*, and reads are strongly consistent: a read that starts after the write sees the
   * new rules, so once the TTL (plus a margin for clock drift and slow reads) has passed since the write,
   * no gateway holds the old ones and `PUT /egress` may answer.
   */
  async apply(ws: WorkspaceRecord, rules: WorkspaceEgressRules): Promise<void> {
    await this.opts.rules.put(ws.id, rules);
    await new Promise((r) => setTimeout(r, this.opts.propagationMs ?? DEFAULT_PROPAGATION_MS));
  }

  /**
   * Hands the workspace's sidecar its proxy credential (an `egress` token for 24 h), authorised by a `proxy`
   * token only this control plane can sign. Idempotent: a newer credential simply replaces the held one.
   * Neither token is ever logged or put in an error.
   */
  async admit(ws: WorkspaceRecord): Promise<void> {
    const { endpoint, id } = ws;
    if (endpoint?.kind !== 'http') throw new Error(`workspace ${id} has no task address for its sidecar`);
    const now = Math.floor((this.opts.clock ?? systemClock).now() / 1000);
    const token = (audience: 'proxy' | 'egress', workspaceId: string, lifetime: number) =>
      signAgentToken(this.opts.signingKey, {
        audience,
        workspaceId,
        issuedAt: now,
        expiresAt: now + lifetime,
      });
    // The sidecar is administered under the identity its task was started with (a pool member's, on a task a
    // resumed workspace took over); the credential is this workspace's, so the gateway applies its rules.
    const sidecarId = agentIdOf(ws);
    const body: SidecarCredentialRequest = {
      token: token('egress', id, EGRESS_TOKEN_MAX_LIFETIME_SECONDS),
      ...(sidecarId !== id && { workspaceId: id }),
    };
    const timeoutMs = this.opts.adminTimeoutMs ?? 5_000;
    const sidecar = `proxy sidecar of workspace ${id}`;
    let res: Response;
    try {
      res = await fetch(`http://${endpoint.host}:${SIDECAR_ADMIN.port}${SIDECAR_ADMIN.credentialPath}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token('proxy', sidecarId, ADMIN_TOKEN_LIFETIME_SECONDS)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') throw dependencyTimeout(sidecar, 'admit', timeoutMs);
      throw new ApiError('unavailable', `the ${sidecar} is not reachable now; retry`, {
        retryAfterSeconds: 2,
        cause: e,
      });
    }
    // Nothing in the answer is needed: drop it so the connection is free again.
    await res.body?.cancel();
    if (!res.ok) throw new Error(`the ${sidecar} refused its credential: HTTP ${res.status}`);
  }
}

/**
 * The proxy sidecar's admin API on ECS, as the control plane calls it and the sidecar serves it (one contract,
 * two sides). On ECS the workspace task's sidecar holds the workspace's proxy credential (an `egress` token)
 * and adds it to everything it forwards to the egress gateway; the control plane hands it over here once the
 * task answers, and again on keepalive. The workspace shares the task's network namespace and so can reach
 * this port too: every call except `GET /health` needs `Authorization: Bearer <token>` with a `proxy`-audience
 * token for this workspace, which only the control plane can sign and which the workspace never sees.
 */
export const SIDECAR_ADMIN = {
  /** The admin listener's port on the task's ENI (the relay's PROXY_ADMIN_LISTEN). */
  port: 8081,
  /** `GET`: `{status:"ok", credential: boolean}`, no auth (the container health check calls it). */
  healthPath: '/health',
  /** `PUT` {@link SidecarCredentialRequest} → 200 {@link SidecarCredentialResponse}. */
  credentialPath: '/admin/credential',
} as const;

/** Body of `PUT /admin/credential`: the workspace's proxy credential (an `egress` token for this workspace). */
export interface SidecarCredentialRequest {
  token: string;
  /**
   * The workspace the credential is for, when not the one the sidecar was started for: a warm pool member's
   * task taken over by a resumed workspace (its egress is that workspace's from then on). Only the control
   * plane can say so: the call itself needs a `proxy` token for the sidecar's own workspace.
   */
  workspaceId?: string;
}

/** The credential is in force for every request from now on; `expiresAt` in epoch seconds. */
export interface SidecarCredentialResponse {
  applied: true;
  expiresAt: number;
}

/** `GET /health`. */
export interface SidecarHealthResponse {
  status: 'ok';
  /** Whether a credential is held (until one is, the relay answers 503 to the workspace). */
  credential: boolean;
}

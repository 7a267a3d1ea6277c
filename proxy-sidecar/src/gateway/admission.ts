import type { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BLOCKED_HEADER, ERROR_HEADER } from '../forward/responses.js';
import { checkProxyCredential } from './proxy-credential.js';
import type { CompiledPolicies, CompiledWorkspacePolicy } from './workspace-policies.js';

/** A response the gateway makes up before any forwarding: who could not be served, and why. */
export interface Refusal {
  status: 407 | 403 | 503;
  header: typeof BLOCKED_HEADER | typeof ERROR_HEADER;
  code: string;
  message: string;
  /** Sent with the refusal (the 407's challenge, the 503's retry hint). */
  headers: Record<string, string>;
}

/** Either the workspace and its policy, or a refusal (with the workspace when the credential named one). */
export type Admission =
  | { ok: true; workspace: CompiledWorkspacePolicy }
  | { ok: false; workspaceId: string | null; refusal: Refusal };

/** The challenge of every 407: clients retry with the workspace's token. */
export const PROXY_AUTHENTICATE = 'Bearer realm="berth-egress"';

/**
 * Credential → workspace → policy for one request. Never rejects: a failing policy source is a 503 for
 * this request only.
 */
export function createAdmission(publicKey: KeyObject, policies: CompiledPolicies, clock: () => number) {
  /** The policy of a workspace already authenticated (a request inside its tunnel). */
  async function lookup(workspaceId: string): Promise<Admission> {
    let workspace: CompiledWorkspacePolicy | null;
    try {
      workspace = await policies.policyFor(workspaceId);
    } catch {
      return {
        ok: false,
        workspaceId,
        refusal: {
          status: 503,
          header: ERROR_HEADER,
          code: 'policy_unavailable',
          message: "the workspace's egress policy could not be read; try again",
          headers: { 'retry-after': '1' },
        },
      };
    }
    if (workspace === null) {
      return {
        ok: false,
        workspaceId,
        refusal: {
          status: 403,
          header: BLOCKED_HEADER,
          code: 'workspace_unknown',
          message: `workspace ${workspaceId} is unknown or has ended`,
          headers: {},
        },
      };
    }
    return { ok: true, workspace };
  }

  /** A request arriving at the gateway: its Proxy-Authorization decides whose policy applies. */
  async function admit(req: IncomingMessage): Promise<Admission> {
    const header = req.headers['proxy-authorization'];
    const credential = checkProxyCredential(header, publicKey, Math.floor(clock() / 1000));
    if (!credential.ok) {
      const message =
        credential.reason === 'credential_missing'
          ? 'a workspace proxy credential is required (Proxy-Authorization: Bearer <token>, or the token as the proxy URL password)'
          : `the proxy credential was refused (${credential.reason})`;
      return {
        ok: false,
        workspaceId: null,
        refusal: {
          status: 407,
          header: BLOCKED_HEADER,
          code: credential.reason,
          message,
          headers: { 'proxy-authenticate': PROXY_AUTHENTICATE },
        },
      };
    }
    return lookup(credential.workspaceId);
  }

  return { admit, lookup };
}

import type { KeyObject } from 'node:crypto';
import { verifyAgentToken } from '@berth/protocol/agent-token';

/** Why a request's proxy credential was refused (the audit reason and the 407's error code). */
export type CredentialRefusal =
  | 'credential_missing'
  | 'credential_malformed'
  | 'credential_bad_signature'
  | 'credential_other_audience'
  | 'credential_expired'
  | 'credential_not_yet_valid';

export type CredentialCheck = { ok: true; workspaceId: string } | { ok: false; reason: CredentialRefusal };

/**
 * The token in a `Proxy-Authorization` header: `Bearer <token>`, or `Basic base64(<anything>:<token>)`
 * because HTTP clients turn the userinfo of `HTTPS_PROXY=http://ws:<token>@gateway:3128` into Basic.
 * Returns null when there is no header, '' when there is one we cannot read.
 */
export function proxyToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return '';
  const scheme = (match[1] ?? '').toLowerCase();
  const value = match[2] ?? '';
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return '';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(colon + 1);
}

/**
 * Verifies a request's proxy credential: signed by the control plane, audience `egress`, within its
 * lifetime on the gateway's clock. The claims name the workspace. The token itself is never logged nor
 * echoed, only the reason it was refused.
 */
export function checkProxyCredential(
  header: string | undefined,
  publicKey: KeyObject,
  nowSeconds: number,
): CredentialCheck {
  const token = proxyToken(header);
  if (token === null) return { ok: false, reason: 'credential_missing' };
  const check = verifyAgentToken(publicKey, token, { audience: 'egress', nowSeconds });
  if (check.ok) return { ok: true, workspaceId: check.claims.workspaceId };
  // 'other_workspace' cannot happen without an expected workspace; treat anything unexpected as malformed.
  const reason: CredentialRefusal =
    check.reason === 'other_workspace' ? 'credential_malformed' : `credential_${check.reason}`;
  return { ok: false, reason };
}

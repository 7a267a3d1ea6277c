import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Agent tokens: how the control plane proves itself to a workspace's agent without any secret travelling to
 * the workspace. The control plane signs a short-lived token naming one workspace with its Ed25519 private
 * key; the agent holds only the public key and its own workspace id (neither secret: RunTask overrides,
 * DescribeTasks, task-state events and the container's own memory may show them). A token taken from one
 * workspace is refused by every other; an old one by all.
 *
 *   bat1.<base64url(JSON {"a": audience, "w": workspaceId, "iat": seconds, "exp": seconds})>.<base64url(Ed25519 signature)>
 *
 * The signature covers `bat1.<payload>`. The audience says who may take it, so a token meant for one is
 * refused by the others:
 * - `agent`: the workspace's agent (every control-plane call to it);
 * - `proxy`: the workspace task's proxy sidecar's admin API (the control plane handing it its credential);
 * - `egress`: the egress gateway — a workspace's proxy credential, held by its sidecar, never by the workspace.
 * One codec for every side: the control plane signs with it (core's AgentTokenIssuer), the agent, the sidecar
 * and the gateway verify with it.
 */
export type TokenAudience = 'agent' | 'proxy' | 'egress';
export const AGENT_TOKEN_PREFIX = 'bat1.';
const AUDIENCES: readonly string[] = ['agent', 'proxy', 'egress'] satisfies TokenAudience[];

/** The longest an `agent` or `proxy` token may live: a token claiming more is refused, whatever its signature. */
export const AGENT_TOKEN_MAX_LIFETIME_SECONDS = 15 * 60;
/**
 * The longest a proxy credential (`egress`) may live. It is handed to the sidecar once, when the workspace
 * becomes ready, and again on keepalive; the gateway also refuses it as soon as the workspace has ended (it
 * reads the workspace's state per request, cached for a second), so its end is not its only revocation.
 */
export const EGRESS_TOKEN_MAX_LIFETIME_SECONDS = 24 * 3600;

/** The longest a token of this audience may live. */
export const maxTokenLifetimeSeconds = (audience: TokenAudience): number =>
  audience === 'egress' ? EGRESS_TOKEN_MAX_LIFETIME_SECONDS : AGENT_TOKEN_MAX_LIFETIME_SECONDS;
/** Clocks of the control plane and the task may differ by this much. */
export const AGENT_TOKEN_CLOCK_SKEW_SECONDS = 30;

export interface AgentTokenClaims {
  /** Who may take it; the agent functions below mean `agent`. */
  audience?: TokenAudience;
  workspaceId: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** Seconds since the epoch; at most {@link maxTokenLifetimeSeconds} of the audience after issuedAt. */
  expiresAt: number;
}

export type AgentTokenCheck =
  | { ok: true; claims: AgentTokenClaims }
  | {
      ok: false;
      reason:
        | 'malformed'
        | 'bad_signature'
        | 'other_audience'
        | 'other_workspace'
        | 'expired'
        | 'not_yet_valid';
    };

const b64 = (bytes: Buffer) => bytes.toString('base64url');
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Signs a token for `claims` (the control plane's side); the audience defaults to the agent. */
export function signAgentToken(privateKey: KeyObject, claims: AgentTokenClaims): string {
  const audience = claims.audience ?? 'agent';
  const max = maxTokenLifetimeSeconds(audience);
  if (claims.expiresAt - claims.issuedAt > max) {
    throw new Error(`an ${audience} token lives at most ${max} s`);
  }
  const payload = b64(
    Buffer.from(
      JSON.stringify({
        a: audience,
        w: claims.workspaceId,
        iat: claims.issuedAt,
        exp: claims.expiresAt,
      }),
    ),
  );
  const signed = `${AGENT_TOKEN_PREFIX}${payload}`;
  return `${signed}.${b64(sign(null, Buffer.from(signed), privateKey))}`;
}

/**
 * Checks a token for the workspace `workspaceId` at `nowSeconds` (the agent's side): the signature by the
 * public key, the audience (default `agent`), the workspace, the time window and the lifetime. Never throws
 * on what a client sent. Without `workspaceId` any workspace's token passes (the gateway learns from the
 * token whose policy applies) and the claims say which.
 */
export function verifyAgentToken(
  publicKey: KeyObject,
  token: string,
  expected: { workspaceId?: string; audience?: TokenAudience; nowSeconds: number },
): AgentTokenCheck {
  if (token.length > 1024 || !token.startsWith(AGENT_TOKEN_PREFIX)) return { ok: false, reason: 'malformed' };
  const [payload, signature, ...rest] = token.slice(AGENT_TOKEN_PREFIX.length).split('.');
  if (!payload || !signature || rest.length || !B64URL.test(payload) || !B64URL.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  const signed = Buffer.from(`${AGENT_TOKEN_PREFIX}${payload}`);
  let valid = false;
  try {
    valid = verify(null, signed, publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!valid) return { ok: false, reason: 'bad_signature' };
  const claims = parseClaims(payload);
  if (!claims) return { ok: false, reason: 'malformed' };
  if (claims.audience !== (expected.audience ?? 'agent')) return { ok: false, reason: 'other_audience' };
  if (expected.workspaceId !== undefined && claims.workspaceId !== expected.workspaceId) {
    return { ok: false, reason: 'other_workspace' };
  }
  const skew = AGENT_TOKEN_CLOCK_SKEW_SECONDS;
  if (claims.expiresAt - claims.issuedAt > maxTokenLifetimeSeconds(claims.audience ?? 'agent'))
    return { ok: false, reason: 'expired' };
  if (claims.expiresAt + skew <= expected.nowSeconds) return { ok: false, reason: 'expired' };
  if (claims.issuedAt - skew > expected.nowSeconds) return { ok: false, reason: 'not_yet_valid' };
  return { ok: true, claims };
}

function parseClaims(payload: string): AgentTokenClaims | null {
  try {
    const raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { a, w, iat, exp } = raw;
    if (typeof a !== 'string' || !AUDIENCES.includes(a)) return null;
    if (typeof w !== 'string' || w === '' || w.length > 128) return null;
    if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return null;
    return {
      audience: a as TokenAudience,
      workspaceId: w,
      issuedAt: iat as number,
      expiresAt: exp as number,
    };
  } catch {
    return null;
  }
}

/**
 * The public key as the agent's environment carries it (AGENT_TOKEN_PUBLIC_KEY): the 32 raw bytes of an
 * Ed25519 key, base64url. Throws on anything else.
 */
export function agentPublicKeyFromText(text: string): KeyObject {
  const trimmed = text.trim();
  if (!B64URL.test(trimmed) || Buffer.from(trimmed, 'base64url').length !== 32) {
    throw new Error('not an Ed25519 public key (32 bytes, base64url)');
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: trimmed }, format: 'jwk' });
}

/** The text form of a public key (agentPublicKeyFromText's input). */
export function agentPublicKeyText(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return jwk.x;
}

/** A private key from its PKCS#8 PEM (how the signing key is stored); throws unless it is Ed25519. */
export function agentSigningKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the agent signing key must be Ed25519');
  return key;
}

import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AGENT_TOKEN_MAX_LIFETIME_SECONDS,
  EGRESS_TOKEN_MAX_LIFETIME_SECONDS,
  agentPublicKeyFromText,
  agentPublicKeyText,
  agentSigningKeyFromPem,
  signAgentToken,
  verifyAgentToken,
} from '@berth/protocol/agent-token';

const keys = () => generateKeyPairSync('ed25519');
const NOW = 1_800_000_000;
const claims = (over: Partial<{ workspaceId: string; issuedAt: number; expiresAt: number }> = {}) => ({
  workspaceId: 'ws_a',
  issuedAt: NOW,
  expiresAt: NOW + 300,
  ...over,
});

describe('agent tokens', () => {
  const { privateKey, publicKey } = keys();
  const expectA = { workspaceId: 'ws_a', nowSeconds: NOW + 10 };

  it('a token for workspace A is taken by A, refused by B', () => {
    const token = signAgentToken(privateKey, claims());
    expect(verifyAgentToken(publicKey, token, expectA)).toMatchObject({ ok: true, claims: claims() });
    expect(verifyAgentToken(publicKey, token, { ...expectA, workspaceId: 'ws_b' })).toEqual({
      ok: false,
      reason: 'other_workspace',
    });
  });

  it('a proxy credential (audience egress) is not an agent token, nor the other way round; the gateway learns the workspace from it', () => {
    const egress = signAgentToken(privateKey, { ...claims(), audience: 'egress' });
    expect(verifyAgentToken(publicKey, egress, expectA)).toEqual({ ok: false, reason: 'other_audience' });
    const agent = signAgentToken(privateKey, claims());
    const atGateway = { audience: 'egress' as const, nowSeconds: NOW + 10 };
    expect(verifyAgentToken(publicKey, agent, atGateway)).toEqual({ ok: false, reason: 'other_audience' });
    expect(verifyAgentToken(publicKey, egress, atGateway)).toEqual({
      ok: true,
      claims: { ...claims(), audience: 'egress' },
    });
  });

  it('a sidecar admin token (audience proxy) is taken by neither the agent nor the gateway', () => {
    const proxy = signAgentToken(privateKey, { ...claims(), audience: 'proxy' });
    expect(verifyAgentToken(publicKey, proxy, expectA)).toEqual({ ok: false, reason: 'other_audience' });
    expect(verifyAgentToken(publicKey, proxy, { audience: 'egress', nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'other_audience',
    });
    expect(verifyAgentToken(publicKey, proxy, { ...expectA, audience: 'proxy' }).ok).toBe(true);
  });

  it('a proxy credential may live a day; agent and sidecar tokens 15 minutes', () => {
    const day = {
      ...claims(),
      audience: 'egress' as const,
      expiresAt: NOW + EGRESS_TOKEN_MAX_LIFETIME_SECONDS,
    };
    const egress = signAgentToken(privateKey, day);
    expect(verifyAgentToken(publicKey, egress, { audience: 'egress', nowSeconds: NOW + 3600 }).ok).toBe(true);
    expect(() => signAgentToken(privateKey, { ...day, expiresAt: day.expiresAt + 1 })).toThrow(/at most/);
    expect(() =>
      signAgentToken(privateKey, {
        ...day,
        audience: 'proxy',
        expiresAt: NOW + AGENT_TOKEN_MAX_LIFETIME_SECONDS + 1,
      }),
    ).toThrow(/at most/);
  });

  it('an expired token, one from the future, one claiming too long a life are refused', () => {
    const token = signAgentToken(privateKey, claims());
    expect(verifyAgentToken(publicKey, token, { ...expectA, nowSeconds: NOW + 300 + 31 })).toMatchObject({
      reason: 'expired',
    });
    // Within the clock skew it still holds.
    expect(verifyAgentToken(publicKey, token, { ...expectA, nowSeconds: NOW + 300 + 29 }).ok).toBe(true);
    expect(verifyAgentToken(publicKey, token, { ...expectA, nowSeconds: NOW - 31 })).toMatchObject({
      reason: 'not_yet_valid',
    });
    expect(() =>
      signAgentToken(privateKey, claims({ expiresAt: NOW + AGENT_TOKEN_MAX_LIFETIME_SECONDS + 1 })),
    ).toThrow(/at most/);
  });

  it('a token signed by another key, or changed after signing, is refused', () => {
    const other = keys();
    expect(verifyAgentToken(publicKey, signAgentToken(other.privateKey, claims()), expectA)).toMatchObject({
      reason: 'bad_signature',
    });
    const token = signAgentToken(privateKey, claims());
    const [prefix, payload, sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ w: 'ws_a', iat: NOW, exp: NOW + AGENT_TOKEN_MAX_LIFETIME_SECONDS }),
    ).toString('base64url');
    expect(verifyAgentToken(publicKey, `${prefix}.${forged}.${sig}`, expectA)).toMatchObject({
      reason: 'bad_signature',
    });
    expect(verifyAgentToken(publicKey, `${prefix}.${payload}.${sig}x`, expectA).ok).toBe(false);
  });

  it.each([
    '',
    'bat1.',
    'bat1..',
    'bat1.a.b.c',
    'bat2.abc.def',
    'Bearer bat1.abc.def',
    'bat1.!!!.abc',
    `bat1.${'a'.repeat(2000)}.b`,
  ])('refuses %j as malformed, without throwing', (token) => {
    expect(verifyAgentToken(publicKey, token, expectA)).toMatchObject({ ok: false });
  });

  it('a well-signed payload that is not claims is malformed', () => {
    const payload = Buffer.from(JSON.stringify({ w: 7, iat: 'x' })).toString('base64url');
    const signed = `bat1.${payload}`;
    const sig = sign(null, Buffer.from(signed), privateKey).toString('base64url');
    expect(verifyAgentToken(publicKey, `${signed}.${sig}`, expectA)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('keys round-trip through their text forms; only Ed25519 is taken', () => {
    const text = agentPublicKeyText(publicKey);
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const token = signAgentToken(privateKey, claims());
    expect(verifyAgentToken(agentPublicKeyFromText(text), token, expectA).ok).toBe(true);
    expect(() => agentPublicKeyFromText('short')).toThrow(/Ed25519/);
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(agentSigningKeyFromPem(pem).asymmetricKeyType).toBe('ed25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => agentSigningKeyFromPem(rsa.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(
      /Ed25519/,
    );
  });
});

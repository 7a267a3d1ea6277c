import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AGENT_TOKEN_CLOCK_SKEW_SECONDS, signAgentToken } from '@berth/protocol/agent-token';
import { makeAuthCheck } from '../src/auth.js';
import { AGENT_KEYS, agentToken, WORKSPACE_ID } from './helpers.js';

/** The check alone, on a clock the test sets (seconds). */
function checkAt(seconds: number) {
  return makeAuthCheck({
    workspaceId: WORKSPACE_ID,
    tokenPublicKey: AGENT_KEYS.publicKey,
    now: () => seconds * 1000 + 999, // a fraction of a second never tips a boundary
  });
}

describe('makeAuthCheck', () => {
  const issuedAt = 1_800_000_000;
  const expiresAt = issuedAt + 300;
  const token = agentToken({ issuedAt, expiresAt });

  it("refuses the workspace's own proxy credential (audience egress): it opens the gateway, not the agent", () => {
    const credential = signAgentToken(AGENT_KEYS.privateKey, {
      audience: 'egress',
      workspaceId: WORKSPACE_ID,
      issuedAt,
      expiresAt,
    });
    expect(checkAt(issuedAt)(`Bearer ${credential}`)).toEqual({ ok: false, reason: 'other_audience' });
  });

  it('accepts a token for its workspace while it is valid, by the configured clock', () => {
    expect(checkAt(issuedAt)(`Bearer ${token}`)).toEqual({
      ok: true,
      claims: { audience: 'agent', workspaceId: WORKSPACE_ID, issuedAt, expiresAt },
    });
    const lastSecond = expiresAt + AGENT_TOKEN_CLOCK_SKEW_SECONDS - 1;
    expect(checkAt(lastSecond)(`Bearer ${token}`).ok).toBe(true);
    expect(checkAt(lastSecond + 1)(`Bearer ${token}`)).toEqual({ ok: false, reason: 'expired' });
    expect(checkAt(issuedAt - AGENT_TOKEN_CLOCK_SKEW_SECONDS)(`Bearer ${token}`).ok).toBe(true);
    expect(checkAt(issuedAt - AGENT_TOKEN_CLOCK_SKEW_SECONDS - 1)(`Bearer ${token}`)).toEqual({
      ok: false,
      reason: 'not_yet_valid',
    });
  });

  it('refuses tokens for another workspace or by another key', () => {
    const check = checkAt(issuedAt);
    expect(check(`Bearer ${agentToken({ workspaceId: 'other', issuedAt, expiresAt })}`)).toEqual({
      ok: false,
      reason: 'other_workspace',
    });
    const privateKey = generateKeyPairSync('ed25519').privateKey;
    expect(check(`Bearer ${agentToken({ issuedAt, expiresAt, privateKey })}`)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('reads only "Bearer <token>", any case of the scheme, spaces around the token', () => {
    const check = checkAt(issuedAt);
    expect(check(`bEaReR   ${token} `).ok).toBe(true);
    for (const header of [undefined, '', 'Bearer', 'Bearer ', `Basic ${token}`, `Bearer ${token} x`, token]) {
      expect(check(header)).toEqual({ ok: false, reason: 'missing' });
    }
    expect(check('Bearer not-an-agent-token')).toEqual({ ok: false, reason: 'malformed' });
  });
});

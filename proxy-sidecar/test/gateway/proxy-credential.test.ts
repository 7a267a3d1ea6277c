import { describe, expect, it } from 'vitest';
import { checkProxyCredential, proxyToken } from '../../src/index.js';
import { controlPlaneKeys, egressToken } from '../helpers/gateway.js';

describe('proxy credential', () => {
  const keys = controlPlaneKeys();
  const now = Math.floor(Date.now() / 1000);

  it.each([
    [undefined, null],
    ['Bearer bat1.x.y', 'bat1.x.y'],
    ['bearer   bat1.x.y ', 'bat1.x.y'],
    [`Basic ${Buffer.from('ws:bat1.x.y').toString('base64')}`, 'bat1.x.y'],
    [`Basic ${Buffer.from(':bat1.x.y').toString('base64')}`, 'bat1.x.y'],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`, ''],
    ['Bearer', ''],
    ['Negotiate abc', ''],
  ])('reads %s as %s', (header, token) => {
    expect(proxyToken(header)).toBe(token);
  });

  it('takes the workspace from the claims of a valid egress token', () => {
    const header = `Bearer ${egressToken(keys.privateKey, 'ws_x')}`;
    expect(checkProxyCredential(header, keys.publicKey, now)).toEqual({ ok: true, workspaceId: 'ws_x' });
  });

  it('judges the lifetime by the gateway clock it is given', () => {
    const header = `Bearer ${egressToken(keys.privateKey, 'ws_x', { issuedAt: now, lifetimeSeconds: 60 })}`;
    expect(checkProxyCredential(header, keys.publicKey, now + 60 + 30)).toEqual({
      ok: false,
      reason: 'credential_expired',
    });
    expect(checkProxyCredential(header, keys.publicKey, now - 31)).toEqual({
      ok: false,
      reason: 'credential_not_yet_valid',
    });
  });
});

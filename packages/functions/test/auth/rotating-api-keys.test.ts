import { describe, expect, it, vi } from 'vitest';
import { RotatingTenantResolver } from '../../src/auth/rotating-tenant-resolver.js';
import { API_KEYS_MAX_AGE_SECONDS, ssmApiKeys } from '../../src/auth/ssm-api-keys.js';

describe('API keys from SSM (Powertools parameters)', () => {
  it('reads the SecureString decrypted, cached for the max age', async () => {
    const get = vi.fn(async () => 'tenant-a:keyAAAAAAAA');
    const keys = ssmApiKeys('/berth/api-keys', { get });
    expect(await keys()).toBe('tenant-a:keyAAAAAAAA');
    expect(get).toHaveBeenCalledWith('/berth/api-keys', { decrypt: true, maxAge: API_KEYS_MAX_AGE_SECONDS });
  });

  it('an empty parameter is an error naming it', async () => {
    await expect(ssmApiKeys('/berth/api-keys', { get: async () => undefined })()).rejects.toThrow(
      /\/berth\/api-keys \(API_KEYS_PARAMETER\) is empty/,
    );
  });

  it('a rotated key is honoured on the next read, without a new resolver (no cold start)', async () => {
    let value = 'tenant-a:keyAAAAAAAA';
    const resolver = new RotatingTenantResolver(async () => value);
    expect(await resolver.resolve('keyAAAAAAAA')).toBe('tenant-a');
    value = 'tenant-a:keyNEWNEWNEW';
    expect(await resolver.resolve('keyAAAAAAAA')).toBeUndefined();
    expect(await resolver.resolve('keyNEWNEWNEW')).toBe('tenant-a');
  });
});

import { RotatingTenantResolver } from '../auth/rotating-tenant-resolver.js';
import { ssmApiKeys } from '../auth/ssm-api-keys.js';
import { StaticTenantResolver } from '../auth/tenant-resolver.js';
import type { PortWiring } from './aws-ports.js';

/**
 * API key → tenant, for the API functions only (nothing else authenticates): from SSM (the deployed way: no
 * secret in the function's configuration; re-read after its cache age, so rotation needs no cold start) or
 * from `BERTH_API_KEYS`.
 */
export const apiKeyTenants: PortWiring<'tenants'> = {
  missing: (env) =>
    env.API_KEYS_PARAMETER || env.BERTH_API_KEYS
      ? []
      : ['API_KEYS_PARAMETER (SSM SecureString of tenant:key pairs) or BERTH_API_KEYS (tenant:key pairs)'],
  build: (env) =>
    env.API_KEYS_PARAMETER
      ? new RotatingTenantResolver(ssmApiKeys(env.API_KEYS_PARAMETER))
      : StaticTenantResolver.parse(env.BERTH_API_KEYS ?? ''),
};

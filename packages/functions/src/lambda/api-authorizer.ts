import { createAuthorizerHandler } from '../handlers/authorizer-handler.js';
import { apiKeyTenants } from './api-keys.js';
import { lambdaDeps, type Wiring } from './lambda-deps.js';

/** API keys only: the authorizer reaches nothing else. */
export const wiring = { tenants: apiKeyTenants } satisfies Wiring;

const deps = lambdaDeps(wiring);

/** The REST API's Lambda authorizer: API key → tenant and its usage-plan key (built once per cold start). */
export const handler = createAuthorizerHandler(async () => (await deps()).tenants);

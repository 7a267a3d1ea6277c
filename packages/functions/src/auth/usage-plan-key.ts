/** What every tenant's usage-plan key value starts with, before the API's id (`berth-<apiId>-tenant-`). */
export const usagePlanKeyPrefix = (apiId: string) => `berth-${apiId}-tenant-`;

/**
 * The value of the API Gateway API key that names a tenant's throttling bucket in the usage plan. Not a
 * secret: the authorizer is the gate (it checks the tenant's Berth key), this only says whose bucket a
 * request counts against. Derived, so the operator registers it once per tenant and nothing stores it; the
 * API's id keeps two stages of one account apart (API key values are unique per account and region). Always
 * 20+ characters, as API Gateway wants.
 */
export const usagePlanKeyValue = (apiId: string, tenantId: string) =>
  `${usagePlanKeyPrefix(apiId)}${tenantId}`;

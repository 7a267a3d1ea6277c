export { POOL_TENANT, isPoolMember, isWarm, newPoolMember, templateVersion } from './pool-member.js';
export { poolTarget, type PoolTarget, type PoolTargetInput } from './pool-target.js';
export { readTemplatePool, pooledTemplates, type TemplatePool } from './pool-state.js';
export { claimFromPool, lookUpPool, type ClaimOutcome, type ClaimRequest, type PoolLookup } from './claim.js';
export { bindIdentity } from './bind-identity.js';
export { refillPool, type RefillReport } from './refill.js';
export { poolReport } from './pool-report.js';
export { parsePoolTargets, type PoolBounds } from './pool-targets-setting.js';
export { adoptMemberTask } from './adopt-member.js';

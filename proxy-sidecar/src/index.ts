export { startProxy } from './proxy.js';
export type { RunningProxy, StartOptions } from './proxy.js';
export { loadConfigFromEnv, ProxyConfigError } from './config.js';
export type { ProxyConfig, ProxyLimits } from './config.js';
export { parseListenAddress, formatListenAddress } from './listen-address.js';
export type { ListenAddress } from './listen-address.js';
export type { AuditEntry, AuditSink, AuditDecision } from './audit.js';
export type { ProxyMetrics, RequestOutcome } from './metrics.js';
export { noProxyMetrics } from './metrics.js';
export type { Resolver } from './policy/resolver.js';
export { staticResolver } from './policy/resolver.js';
export type {
  EgressPolicy,
  HeaderInjectionRule,
  AnthropicSettings,
  BedrockSettings,
  UpstreamScheme,
} from './policy/egress-policy.js';
export type { DomainRule } from './policy/allowlist.js';
export { parseDomainList } from './policy/allowlist.js';
export type { BlockReason } from './policy/destination.js';
export { classifyAddress } from './policy/address-guard.js';
export { BLOCKED_HEADER, ERROR_HEADER } from './forward/responses.js';
export type { StatsSnapshot } from './stats.js';
export { startGateway } from './gateway/gateway.js';
export type { GatewayConfig, GatewayOptions, RunningGateway } from './gateway/gateway.js';
export { cachedPolicies } from './gateway/workspace-policies.js';
export type {
  CompiledPolicies,
  CompiledWorkspacePolicy,
  PolicyCacheOptions,
  WorkspacePolicy,
  WorkspacePolicySource,
} from './gateway/workspace-policies.js';
export { checkProxyCredential, proxyToken } from './gateway/proxy-credential.js';
export type { CredentialCheck, CredentialRefusal } from './gateway/proxy-credential.js';
export { PROXY_AUTHENTICATE } from './gateway/admission.js';
export { startRelay } from './relay/relay.js';
export type { RelayOptions, RunningRelay } from './relay/relay.js';
export { loadRelayConfigFromEnv } from './relay/relay-config.js';
export type { GatewayAddress, RelayConfig, RelayLimits } from './relay/relay-config.js';
export { workspaceEgressPolicy } from './policy/workspace-rules.js';
export type { WorkspaceRules, WorkspaceRulesOptions } from './policy/workspace-rules.js';
export { dynamoPolicies } from './gateway/dynamo-policies.js';
export { loadGatewayConfigFromEnv } from './gateway/gateway-config.js';
export type { GatewayEnvConfig } from './gateway/gateway-config.js';

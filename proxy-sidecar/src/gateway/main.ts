import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoEgressRules } from '@berth/aws';
import { SERVICE } from '@berth/core';
import { formatListenAddress } from '../listen-address.js';
import { formatDomainRule } from '../policy/allowlist.js';
import { emfMetrics } from '../metrics.js';
import { runProgram } from '../program.js';
import { dynamoPolicies } from './dynamo-policies.js';
import { startGateway } from './gateway.js';
import { loadGatewayConfigFromEnv } from './gateway-config.js';

/** The `service` of the gateway's log lines and EMF metrics (namespace `Berth`), apart from the sidecar's. */
const GATEWAY_SERVICE = SERVICE.egressGateway;

// Entry point of the egress gateway's process (an ECS service behind an internal NLB): each workspace's
// rules from DynamoDB.
runProgram({
  name: 'egress-gateway',
  load: loadGatewayConfigFromEnv,
  logger: () => new Logger({ serviceName: GATEWAY_SERVICE }),
  async start(config, logger) {
    // Region, endpoint and credentials from the SDK's environment (the task role); the SDK timeouts make an
    // unreachable table a quick 503, not a hang.
    const rules = new DynamoEgressRules({ tableName: config.policyTable });
    const gateway = await startGateway(config, {
      logger,
      metrics: emfMetrics(GATEWAY_SERVICE),
      policies: dynamoPolicies(rules, config.basePolicy, config),
    });
    // The Anthropic key stays out of the log: only whether there is one.
    logger.info('gateway listening', {
      listen: formatListenAddress(gateway.address),
      policyTable: config.policyTable,
      policyTtlMs: config.policyCache.ttlMs,
      allowDomains: config.basePolicy.allowDomains.map(formatDomainRule),
      anthropicHosts: config.basePolicy.anthropic?.hosts ?? [],
      bedrockRegion: config.basePolicy.bedrock?.region ?? null,
      allowLoopback: config.allowLoopback,
    });
    return gateway;
  },
});

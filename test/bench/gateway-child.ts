import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoPolicies } from '../../proxy-sidecar/src/gateway/dynamo-policies.js';
import { startGateway } from '../../proxy-sidecar/src/gateway/gateway.js';
import { loadGatewayConfigFromEnv } from '../../proxy-sidecar/src/gateway/gateway-config.js';
import { emfMetrics } from '../../proxy-sidecar/src/metrics.js';

// The egress gateway for the proxy benchmark, as its own process: what proxy-sidecar/src/gateway/main.ts
// does (configuration from PROXY_* variables, Powertools logger and EMF metrics, audit lines on stdout),
// except that the workspace's stored rules come from memory instead of DynamoDB. They still go through
// dynamoPolicies and the gateway's own 1 s policy cache, so the per-request path is the deployed one.
//   BENCH_WORKSPACE_ID      the one workspace that exists
//   BENCH_WORKSPACE_ALLOW   its own allowlist entry (e.g. bench.test:8080)
// Run: node --import tsx test/bench/gateway-child.ts (PROXY_POLICY_TABLE is required but not read).

const SERVICE = 'berth-egress-gateway';

async function main(): Promise<void> {
  const workspaceId = process.env['BENCH_WORKSPACE_ID'];
  const allow = process.env['BENCH_WORKSPACE_ALLOW'];
  if (!workspaceId || !allow) throw new Error('BENCH_WORKSPACE_ID and BENCH_WORKSPACE_ALLOW are required');
  const config = loadGatewayConfigFromEnv(process.env);
  const stored = {
    // A fresh item per read, as a DynamoDB GetItem returns.
    read: (id: string) =>
      Promise.resolve(
        id === workspaceId ? { tenantId: 'bench', rules: { allowDomains: [allow], headerRules: [] } } : null,
      ),
  };
  const gateway = await startGateway(config, {
    logger: new Logger({ serviceName: SERVICE }),
    metrics: emfMetrics(SERVICE),
    policies: dynamoPolicies(stored, config.basePolicy, config),
  });
  process.once('SIGTERM', () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench gateway: ${(error as Error).message}\n`);
  process.exit(1);
});

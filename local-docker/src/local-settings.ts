import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePoolTargets, type PoolBounds } from '@berth/core';

/** Local mode's environment (README "Configuration"). */
export interface LocalSettings {
  port: number;
  host: string;
  stateDir: string;
  apiKeys: string;
  /** True when the key was made (or reloaded from the state dir) rather than given. */
  generatedKey: boolean;
  sweepIntervalMs: number;
  /** Container label prefix (BERTH_LABEL_PREFIX); Berths sharing one also keep apart by state dir (labels.ts). */
  labelPrefix?: string;
  /**
   * Every workspace's base egress policy and model access (BERTH_EGRESS_ALLOW; BERTH_ANTHROPIC_API_KEY, or
   * BERTH_BEDROCK_REGION and BERTH_BEDROCK_MODEL).
   */
  egress: { allowDomains: string[]; anthropicApiKey?: string; bedrockRegion?: string; bedrockModel?: string };
  /** Every workspace's disk quota (BERTH_DISK_MIB); unset: the template's `diskMiB` (default 5120). */
  diskMiB?: number;
  /** Warm pool per template (BERTH_POOL_TARGETS, `default:5`); unset: no pool. */
  pools?: Record<string, PoolBounds>;
  /** Live workspaces per tenant (BERTH_TENANT_QUOTA); unset: the core default. */
  tenantQuota?: number;
  /** Container starts at once, the rest waiting their turn (BERTH_CONCURRENT_STARTS); unset: 4. */
  concurrentStarts?: number;
}

export function readLocalSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalSettings {
  const port = Number(env.BERTH_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`BERTH_PORT must be a port number, got "${env.BERTH_PORT}"`);
  const sweepIntervalMs = Number(env.BERTH_SWEEP_INTERVAL_MS ?? 5000);
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 100)
    throw new Error('BERTH_SWEEP_INTERVAL_MS must be an integer ≥ 100');
  const stateDir = resolve(cwd, env.BERTH_STATE_DIR ?? '.berth');
  let apiKeys = env.BERTH_API_KEYS;
  if (!apiKeys && env.BERTH_API_KEY) apiKeys = `local:${env.BERTH_API_KEY}`;
  let generatedKey = false;
  if (!apiKeys) {
    // Made once and kept in the state dir, so a restart does not invalidate the key a user copied.
    const file = join(stateDir, 'api-key');
    if (!existsSync(file)) {
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(file, `berth_${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    }
    apiKeys = `local:${readFileSync(file, 'utf8').trim()}`;
    generatedKey = true;
  }
  // Checked in detail by the proxy's own parser when the host starts (a bad entry stops it with a message).
  const allowDomains = (env.BERTH_EGRESS_ALLOW ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const anthropicApiKey = env.BERTH_ANTHROPIC_API_KEY || undefined;
  // The region is checked by the proxy's parser at start; the proxy signs with the host's AWS credentials.
  const bedrockRegion = env.BERTH_BEDROCK_REGION || undefined;
  const bedrockModel = env.BERTH_BEDROCK_MODEL || undefined;
  if (anthropicApiKey && bedrockRegion) {
    throw new Error(
      'BERTH_ANTHROPIC_API_KEY and BERTH_BEDROCK_REGION are exclusive: the Anthropic API or Bedrock',
    );
  }
  if (bedrockModel && !bedrockRegion) throw new Error('BERTH_BEDROCK_MODEL needs BERTH_BEDROCK_REGION');
  const labelPrefix = env.BERTH_LABEL_PREFIX || undefined;
  if (labelPrefix !== undefined && !/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/.test(labelPrefix)) {
    throw new Error(
      `BERTH_LABEL_PREFIX must look like a reverse DNS name (e.g. dev.berth), got "${labelPrefix}"`,
    );
  }
  const diskMiB = env.BERTH_DISK_MIB ? Number(env.BERTH_DISK_MIB) : undefined;
  if (diskMiB !== undefined && (!Number.isInteger(diskMiB) || diskMiB < 16 || diskMiB > 200 * 1024)) {
    throw new Error(`BERTH_DISK_MIB must be an integer from 16 to 204800 (MiB), got "${env.BERTH_DISK_MIB}"`);
  }
  const pools = env.BERTH_POOL_TARGETS ? parsePoolTargets(env.BERTH_POOL_TARGETS) : undefined;
  const tenantQuota = env.BERTH_TENANT_QUOTA ? Number(env.BERTH_TENANT_QUOTA) : undefined;
  if (tenantQuota !== undefined && (!Number.isInteger(tenantQuota) || tenantQuota < 1)) {
    throw new Error(`BERTH_TENANT_QUOTA must be a positive integer, got "${env.BERTH_TENANT_QUOTA}"`);
  }
  const concurrentStarts = env.BERTH_CONCURRENT_STARTS ? Number(env.BERTH_CONCURRENT_STARTS) : undefined;
  if (concurrentStarts !== undefined && (!Number.isInteger(concurrentStarts) || concurrentStarts < 1)) {
    throw new Error(
      `BERTH_CONCURRENT_STARTS must be a positive integer, got "${env.BERTH_CONCURRENT_STARTS}"`,
    );
  }
  return {
    port,
    host: env.BERTH_HOST ?? '127.0.0.1',
    stateDir,
    apiKeys,
    generatedKey,
    sweepIntervalMs,
    ...(labelPrefix ? { labelPrefix } : {}),
    egress: {
      allowDomains,
      ...(anthropicApiKey ? { anthropicApiKey } : {}),
      ...(bedrockRegion ? { bedrockRegion } : {}),
      ...(bedrockModel ? { bedrockModel } : {}),
    },
    ...(diskMiB !== undefined ? { diskMiB } : {}),
    ...(pools ? { pools } : {}),
    ...(tenantQuota !== undefined ? { tenantQuota } : {}),
    ...(concurrentStarts !== undefined ? { concurrentStarts } : {}),
  };
}

import { createLogger } from './audit.js';
import { ProxyConfigError, loadConfigFromEnv } from './config.js';
import { formatListenAddress } from './listen-address.js';
import { startProxy } from './proxy.js';

// Entry point of the sidecar process: configuration from the environment, stop on SIGTERM/SIGINT.
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromEnv(process.env);
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    process.stderr.write(`proxy-sidecar: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger();
  const proxy = await startProxy(config, { logger });
  logger.info('proxy listening', {
    workspaceId: config.workspaceId,
    listen: formatListenAddress(proxy.address),
    adminListen: proxy.adminAddress ? formatListenAddress(proxy.adminAddress) : null,
    allowDomains: config.policy.allowDomains.length,
    allowLoopback: config.allowLoopback,
  });
  const stop = (signal: string) => {
    logger.info('proxy stopping', { signal });
    proxy.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`proxy-sidecar: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});

import { createLogger } from './audit.js';
import { loadConfigFromEnv } from './config.js';
import { formatListenAddress } from './listen-address.js';
import { runProgram } from './program.js';
import { startProxy } from './proxy.js';

// Entry point of the sidecar process (one workspace's policy-enforcing proxy).
runProgram({
  name: 'proxy-sidecar',
  load: loadConfigFromEnv,
  logger: () => createLogger(),
  async start(config, logger) {
    const proxy = await startProxy(config, { logger });
    logger.info('proxy listening', {
      workspaceId: config.workspaceId,
      listen: formatListenAddress(proxy.address),
      allowDomains: config.policy.allowDomains.length,
      allowLoopback: config.allowLoopback,
    });
    return proxy;
  },
});

import { createLogger } from '../audit.js';
import { formatListenAddress } from '../listen-address.js';
import { runProgram } from '../program.js';
import { startRelay } from './relay.js';
import { loadRelayConfigFromEnv } from './relay-config.js';

// Entry point of the relay process (the workspace task's sidecar on ECS).
runProgram({
  name: 'proxy-relay',
  load: loadRelayConfigFromEnv,
  logger: () => createLogger(),
  async start(config, logger) {
    const relay = await startRelay(config, { logger });
    logger.info('relay listening', {
      workspaceId: config.workspaceId,
      listen: formatListenAddress(relay.address),
      adminListen: formatListenAddress(relay.adminApiAddress),
      gateway: `${config.gateway.host}:${config.gateway.port}`,
    });
    return relay;
  },
});

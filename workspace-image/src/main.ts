#!/usr/bin/env node
// Entry point in the image: `node /opt/berth/agent/dist/main.js`. Kept to builtins so startup stays fast.
import { startAgent } from './agent.js';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config.js';

let config: AgentConfig;
try {
  config = loadAgentConfig(process.env);
} catch (err) {
  process.stderr.write(
    `berth-agent: invalid configuration: ${err instanceof AgentConfigError ? err.message : String(err)}\n`,
  );
  process.exit(1);
}

try {
  const agent = await startAgent(config);
  process.stdout.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      msg: 'listening',
      mode: config.listenMode,
      address: agent.address,
      ...(agent.proxyPort !== undefined && { proxyPort: agent.proxyPort }),
      startupMs: Math.round(performance.now()),
    })}\n`,
  );
  // As PID 1 in the container, Node gets no default handling of these signals.
  const shutdown = () => {
    agent.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (err) {
  process.stderr.write(`berth-agent: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

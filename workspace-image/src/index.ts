/** @berth/workspace-agent: the wire types of the agent's HTTP API and a way to start it in-process. */
export * from './protocol.js';
export { startAgent, type RunningAgent } from './agent.js';
export { loadConfig, ConfigError, type AgentConfig, type ListenMode } from './config.js';

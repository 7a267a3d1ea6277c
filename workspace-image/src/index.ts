/**
 * @berth/workspace-agent: a way to start the workspace agent in-process (tests). Its wire types, limits and
 * environment variable names are @berth/protocol's.
 */
export { startAgent, type RunningAgent } from './agent.js';
export { loadAgentConfig, AgentConfigError, type AgentConfig, type ListenMode } from './config.js';

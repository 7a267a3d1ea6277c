import type { Options } from '@anthropic-ai/claude-agent-sdk';
import type { AgentConfig } from '../config.js';
import { buildChildEnv } from '../commands/child-env.js';
import { WORKSPACE_AGENT_LIMITS, type AgentRunRequest } from '@berth/protocol';

/**
 * Environment of the SDK's CLI process. The SDK merges `env` over the agent's own `process.env`; every
 * variable of ours not set here is removed (`undefined`), so the CLI gets a command's minimal environment
 * (child-env.ts), as everything else the agent starts does.
 */
export function claudeEnv(config: AgentConfig): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env)) env[name] = undefined;
  return Object.assign(
    env,
    buildChildEnv(config, {
      ...modelAccessEnv(config),
      ...(config.model && { ANTHROPIC_MODEL: config.model }),
      // No telemetry, update checks or error reports: the workspace may only reach what egress allows.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // Sessions (for `resume`) and the CLI's state live outside the workspace, like other tool caches.
      HOME: config.childHome,
      CLAUDE_CONFIG_DIR: `${config.childHome}/.claude`,
      // The container is the sandbox. Without this the CLI refuses bypassPermissions when run as root
      // (it exits 1: "--dangerously-skip-permissions cannot be used with root/sudo privileges"), which is
      // what dev hosts and CI do; in the image the agent is uid 1000 anyway.
      IS_SANDBOX: '1',
    }),
  );
}

/**
 * How the CLI reaches the model, always through the egress proxy: the Anthropic API (the proxy puts in the
 * real key) or Bedrock (the proxy signs with its own AWS credentials). Bedrock mode gets no API key.
 */
function modelAccessEnv(config: AgentConfig): Record<string, string> {
  if (config.bedrock) {
    return {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: config.bedrock.region,
      ANTHROPIC_BEDROCK_BASE_URL: config.bedrock.baseUrl,
      // There is no AWS credential here to look for: the CLI sends its requests unsigned.
      CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
    };
  }
  return {
    // Not a secret: the egress proxy replaces the key header with the real key.
    ANTHROPIC_API_KEY: config.anthropicApiKey,
    ...(config.anthropicBaseUrl && { ANTHROPIC_BASE_URL: config.anthropicBaseUrl }),
  };
}

/** Options of one `query()` run for an AgentRunRequest. */
export function claudeOptions(
  config: AgentConfig,
  cwd: string,
  r: AgentRunRequest,
  hooks: { abortController: AbortController; stderr: (data: string) => void },
): Options {
  return {
    cwd,
    maxTurns: r.maxTurns ?? WORKSPACE_AGENT_LIMITS.defaultMaxTurns,
    ...(r.model && { model: r.model }),
    ...(r.sessionId && { resume: r.sessionId }),
    // Nothing from the workspace's or HOME's settings files: the request alone decides how the agent runs.
    settingSources: [],
    // No one is there to answer permission prompts, and the container is the sandbox: without allowedTools
    // every tool runs. bypassPermissions ignores allowedTools (tried: a Write outside the list still ran),
    // so a list switches to dontAsk, which runs the listed tools and denies the rest (the model is told).
    ...(r.allowedTools
      ? { allowedTools: r.allowedTools, permissionMode: 'dontAsk' as const }
      : { permissionMode: 'bypassPermissions' as const, allowDangerouslySkipPermissions: true }),
    abortController: hooks.abortController,
    stderr: hooks.stderr,
    env: claudeEnv(config),
  };
}

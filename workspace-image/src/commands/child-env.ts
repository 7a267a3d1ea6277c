import { mkdirSync } from 'node:fs';
import type { AgentConfig } from '../config.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

let homeReady = false;

/**
 * The environment of a command: a minimal base, never the agent's own (its AGENT_* settings are nothing a
 * command should depend on), plus the request's variables, which win.
 */
export function buildChildEnv(
  config: AgentConfig,
  extra: Record<string, string> = {},
): Record<string, string> {
  if (!homeReady) {
    homeReady = true;
    try {
      mkdirSync(config.childHome, { recursive: true });
    } catch {
      // A read-only or odd HOME only bothers tools that write there; the command still runs.
    }
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: config.childHome,
    LANG: 'C.UTF-8',
  };
  if (config.proxyUrl) {
    // Both spellings: curl reads only the lower-case http_proxy, many others only the upper-case ones.
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
      env[name] = config.proxyUrl;
    env.NO_PROXY = env.no_proxy = 'localhost,127.0.0.1';
  }
  return { ...env, ...extra };
}

/** Environment for the agent's own helpers (tar). */
export function toolEnv(): Record<string, string> {
  return { PATH: process.env.PATH || DEFAULT_PATH, LANG: 'C.UTF-8' };
}

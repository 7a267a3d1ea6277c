import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WORKSPACE_AGENT_ENV, WORKSPACE_AGENT_LIMITS } from '@berth/protocol';

export type ListenMode = 'uds' | 'http';

export interface AgentConfig {
  listenMode: ListenMode;
  /** uds mode. */
  socketPath: string;
  /** http mode. */
  host: string;
  port: number;
  token: string;
  /** Where the token was read from (AGENT_TOKEN_FILE); main.ts deletes it once read. */
  tokenFile?: string;
  workspaceDir: string;
  /** HOME of child processes: outside the workspace so tool caches are not synced as workspace files. */
  childHome: string;
  /** When set, 127.0.0.1:proxyPort is piped to this Unix socket (the egress proxy). */
  proxySocket?: string;
  proxyPort: number;
  /** What HTTP(S)_PROXY of child processes points at; unset means no proxy variables. */
  proxyUrl?: string;
  /** ANTHROPIC_BASE_URL of `POST /execute` runs; unset: the SDK's default (https://api.anthropic.com). */
  anthropicBaseUrl?: string;
  /**
   * ANTHROPIC_API_KEY of `POST /execute` runs. Not a secret: a placeholder the egress proxy replaces with the
   * real key, so the workspace never holds it.
   */
  anthropicApiKey: string;
  /** Per-stream cap of POST /exec. */
  maxOutputBytes: number;
  /**
   * The berth-spawner binary that starts commands (native/berth-spawner.c); undefined: child_process.spawn.
   * AGENT_SPAWNER: a path, or `node` for child_process; default: the bundled binary when it is there.
   */
  spawnerPath?: string;
  /** One JSON line per request; default: stdout. */
  log?: (line: string) => void;
}

export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new AgentConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new AgentConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** What `POST /execute` runs get as ANTHROPIC_API_KEY unless AGENT_ANTHROPIC_API_KEY says otherwise. */
export const DEFAULT_ANTHROPIC_API_KEY = 'sk-ant-berth-placeholder';

/** Where the image (and `npm run build:spawner` in the repo) puts the helper: <agent>/bin/berth-spawner. */
export const BUNDLED_SPAWNER = fileURLToPath(new URL('../bin/berth-spawner', import.meta.url));

function spawnerPath(env: NodeJS.ProcessEnv): string | undefined {
  const asked = env[WORKSPACE_AGENT_ENV.spawner];
  if (asked === 'node') return undefined;
  if (asked) {
    if (!existsSync(asked))
      throw new AgentConfigError(`${WORKSPACE_AGENT_ENV.spawner} ${asked} does not exist`);
    return asked;
  }
  return existsSync(BUNDLED_SPAWNER) ? BUNDLED_SPAWNER : undefined;
}

/** Reads the agent's configuration from the environment (README.md, "Environment"). Throws AgentConfigError. */
export function loadAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const mode = env[WORKSPACE_AGENT_ENV.listenMode] || 'uds';
  if (mode !== 'uds' && mode !== 'http') {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.listenMode} must be "uds" or "http", got ${JSON.stringify(mode)}`,
    );
  }
  const tokenFile = env[WORKSPACE_AGENT_ENV.token]
    ? undefined
    : env[WORKSPACE_AGENT_ENV.tokenFile] || undefined;
  const token = tokenFile ? readTokenFile(tokenFile) : (env[WORKSPACE_AGENT_ENV.token] ?? '');
  if (token.length < 16) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.token} (or ${WORKSPACE_AGENT_ENV.tokenFile}) is required and must be at least 16 characters`,
    );
  }
  const workspaceDir = env[WORKSPACE_AGENT_ENV.workspaceDir] || '/workspace';
  if (!workspaceDir.startsWith('/'))
    throw new AgentConfigError(`${WORKSPACE_AGENT_ENV.workspaceDir} must be an absolute path`);
  const proxySocket = env[WORKSPACE_AGENT_ENV.proxySocket] || undefined;
  const proxyPort = intEnv(env, WORKSPACE_AGENT_ENV.proxyPort, 3128, 1, 65535);
  const proxyUrl =
    env[WORKSPACE_AGENT_ENV.proxyUrl] || (proxySocket ? `http://127.0.0.1:${proxyPort}` : undefined);
  if (proxyUrl && !/^https?:\/\/[^\s]+$/.test(proxyUrl)) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.proxyUrl} must be an http(s) URL, got ${JSON.stringify(proxyUrl)}`,
    );
  }
  const anthropicBaseUrl = env[WORKSPACE_AGENT_ENV.anthropicBaseUrl] || undefined;
  if (anthropicBaseUrl && !/^https?:\/\/[^\s]+$/.test(anthropicBaseUrl)) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.anthropicBaseUrl} must be an http(s) URL, got ${JSON.stringify(anthropicBaseUrl)}`,
    );
  }
  return {
    listenMode: mode,
    socketPath: env[WORKSPACE_AGENT_ENV.socket] || '/run/berth/agent/agent.sock',
    host: env[WORKSPACE_AGENT_ENV.host] || '0.0.0.0',
    port: intEnv(env, WORKSPACE_AGENT_ENV.port, 9000, 0, 65535),
    token,
    ...(tokenFile && { tokenFile }),
    workspaceDir,
    childHome: env[WORKSPACE_AGENT_ENV.childHome] || '/tmp/home',
    proxySocket,
    proxyPort,
    proxyUrl,
    spawnerPath: spawnerPath(env),
    anthropicBaseUrl,
    anthropicApiKey: env[WORKSPACE_AGENT_ENV.anthropicApiKey] || DEFAULT_ANTHROPIC_API_KEY,
    maxOutputBytes: intEnv(
      env,
      WORKSPACE_AGENT_ENV.maxOutputBytes,
      WORKSPACE_AGENT_LIMITS.defaultMaxOutputBytes,
      1,
      WORKSPACE_AGENT_LIMITS.maxOutputBytesLimit,
    ),
  };
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new AgentConfigError(
      `cannot read ${WORKSPACE_AGENT_ENV.tokenFile} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

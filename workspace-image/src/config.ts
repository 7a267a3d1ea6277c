import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AGENT_ENV, AGENT_LIMITS } from '@berth/protocol';

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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** What `POST /execute` runs get as ANTHROPIC_API_KEY unless AGENT_ANTHROPIC_API_KEY says otherwise. */
export const DEFAULT_ANTHROPIC_API_KEY = 'sk-ant-berth-placeholder';

/** Where the image (and `npm run build:spawner` in the repo) puts the helper: <agent>/bin/berth-spawner. */
export const BUNDLED_SPAWNER = fileURLToPath(new URL('../bin/berth-spawner', import.meta.url));

function spawnerPath(env: NodeJS.ProcessEnv): string | undefined {
  const asked = env[AGENT_ENV.spawner];
  if (asked === 'node') return undefined;
  if (asked) {
    if (!existsSync(asked)) throw new ConfigError(`${AGENT_ENV.spawner} ${asked} does not exist`);
    return asked;
  }
  return existsSync(BUNDLED_SPAWNER) ? BUNDLED_SPAWNER : undefined;
}

/** Reads the agent's configuration from the environment (README.md, "Environment"). Throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const mode = env[AGENT_ENV.listenMode] || 'uds';
  if (mode !== 'uds' && mode !== 'http') {
    throw new ConfigError(`${AGENT_ENV.listenMode} must be "uds" or "http", got ${JSON.stringify(mode)}`);
  }
  const tokenFile = env[AGENT_ENV.token] ? undefined : env[AGENT_ENV.tokenFile] || undefined;
  const token = tokenFile ? readTokenFile(tokenFile) : (env[AGENT_ENV.token] ?? '');
  if (token.length < 16) {
    throw new ConfigError(
      `${AGENT_ENV.token} (or ${AGENT_ENV.tokenFile}) is required and must be at least 16 characters`,
    );
  }
  const workspaceDir = env[AGENT_ENV.workspaceDir] || '/workspace';
  if (!workspaceDir.startsWith('/'))
    throw new ConfigError(`${AGENT_ENV.workspaceDir} must be an absolute path`);
  const proxySocket = env[AGENT_ENV.proxySocket] || undefined;
  const proxyPort = intEnv(env, AGENT_ENV.proxyPort, 3128, 1, 65535);
  const proxyUrl = env[AGENT_ENV.proxyUrl] || (proxySocket ? `http://127.0.0.1:${proxyPort}` : undefined);
  if (proxyUrl && !/^https?:\/\/[^\s]+$/.test(proxyUrl)) {
    throw new ConfigError(`${AGENT_ENV.proxyUrl} must be an http(s) URL, got ${JSON.stringify(proxyUrl)}`);
  }
  const anthropicBaseUrl = env[AGENT_ENV.anthropicBaseUrl] || undefined;
  if (anthropicBaseUrl && !/^https?:\/\/[^\s]+$/.test(anthropicBaseUrl)) {
    throw new ConfigError(
      `${AGENT_ENV.anthropicBaseUrl} must be an http(s) URL, got ${JSON.stringify(anthropicBaseUrl)}`,
    );
  }
  return {
    listenMode: mode,
    socketPath: env[AGENT_ENV.socket] || '/run/berth/agent/agent.sock',
    host: env[AGENT_ENV.host] || '0.0.0.0',
    port: intEnv(env, AGENT_ENV.port, 9000, 0, 65535),
    token,
    ...(tokenFile && { tokenFile }),
    workspaceDir,
    childHome: env[AGENT_ENV.childHome] || '/tmp/home',
    proxySocket,
    proxyPort,
    proxyUrl,
    spawnerPath: spawnerPath(env),
    anthropicBaseUrl,
    anthropicApiKey: env[AGENT_ENV.anthropicApiKey] || DEFAULT_ANTHROPIC_API_KEY,
    maxOutputBytes: intEnv(
      env,
      AGENT_ENV.maxOutputBytes,
      AGENT_LIMITS.defaultMaxOutputBytes,
      1,
      AGENT_LIMITS.maxOutputBytesLimit,
    ),
  };
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(
      `cannot read ${AGENT_ENV.tokenFile} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

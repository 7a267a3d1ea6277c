import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WORKSPACE_AGENT_ENV, WORKSPACE_AGENT_LIMITS } from '@berth/protocol';
import { agentPublicKeyFromText } from '@berth/protocol/agent-token';

export type ListenMode = 'uds' | 'http';

export interface AgentConfig {
  listenMode: ListenMode;
  /** uds mode. */
  socketPath: string;
  /** http mode. */
  host: string;
  port: number;
  /** The one workspace whose agent tokens this agent takes (@berth/protocol/agent-token). */
  workspaceId: string;
  /** The control plane's Ed25519 key that signs agent tokens. */
  tokenPublicKey: KeyObject;
  /** Milliseconds since the epoch, for token lifetimes; default Date.now (tests move it). */
  now?: () => number;
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
  /**
   * Bedrock mode (AGENT_BEDROCK_REGION set; exclusive with anthropicBaseUrl): runs call the Bedrock runtime
   * at `baseUrl` unsigned, in plain HTTP through the egress proxy, which signs them with its own AWS
   * credentials. The workspace holds no AWS credential.
   */
  bedrock?: { region: string; baseUrl: string };
  /** The model runs use unless the request names one (ANTHROPIC_MODEL); unset: the SDK's default. */
  model?: string;
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

/** A workspace id: at most the 128 characters a token may name, and nothing odd to put in a log line. */
const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,128}$/;

function publicKey(env: NodeJS.ProcessEnv): KeyObject {
  const name = WORKSPACE_AGENT_ENV.tokenPublicKey;
  const text = env[name];
  if (!text) throw new AgentConfigError(`${name} is required (the control plane's agent-token public key)`);
  try {
    return agentPublicKeyFromText(text);
  } catch (err) {
    throw new AgentConfigError(`${name} is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Like the egress proxy's PROXY_BEDROCK_REGION. */
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** Like the `model` of an agent run request (@berth/protocol agentRunRequest). */
const MODEL = /^[^\s\0]{1,200}$/;
const HTTP_URL = /^https?:\/\/[^\s]+$/;

function httpUrlEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const url = env[name] || undefined;
  if (url && !HTTP_URL.test(url))
    throw new AgentConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

/** Bedrock mode's settings, or undefined when AGENT_BEDROCK_REGION is unset. */
function bedrockSettings(env: NodeJS.ProcessEnv): AgentConfig['bedrock'] {
  const { bedrockRegion, bedrockBaseUrl, anthropicBaseUrl } = WORKSPACE_AGENT_ENV;
  const region = env[bedrockRegion] || undefined;
  const baseUrl = httpUrlEnv(env, bedrockBaseUrl);
  if (!region) {
    if (baseUrl) throw new AgentConfigError(`${bedrockBaseUrl} needs ${bedrockRegion}`);
    return undefined;
  }
  if (!AWS_REGION.test(region)) {
    throw new AgentConfigError(
      `${bedrockRegion} must be an AWS region name (e.g. us-east-1), got ${JSON.stringify(region)}`,
    );
  }
  if (env[anthropicBaseUrl]) {
    throw new AgentConfigError(
      `${anthropicBaseUrl} and ${bedrockRegion} are exclusive: set one model access`,
    );
  }
  // Plain HTTP by default: the egress proxy must see the request to sign it, and speaks HTTPS upstream.
  return { region, baseUrl: baseUrl ?? `http://bedrock-runtime.${region}.amazonaws.com` };
}

/** Reads the agent's configuration from the environment (README.md, "Environment"). Throws AgentConfigError. */
export function loadAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const mode = env[WORKSPACE_AGENT_ENV.listenMode] || 'uds';
  if (mode !== 'uds' && mode !== 'http') {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.listenMode} must be "uds" or "http", got ${JSON.stringify(mode)}`,
    );
  }
  const workspaceId = env[WORKSPACE_AGENT_ENV.workspaceId] ?? '';
  if (!WORKSPACE_ID.test(workspaceId)) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.workspaceId} is required: 1-128 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(workspaceId)}`,
    );
  }
  const tokenPublicKey = publicKey(env);
  const workspaceDir = env[WORKSPACE_AGENT_ENV.workspaceDir] || '/workspace';
  if (!workspaceDir.startsWith('/'))
    throw new AgentConfigError(`${WORKSPACE_AGENT_ENV.workspaceDir} must be an absolute path`);
  const proxySocket = env[WORKSPACE_AGENT_ENV.proxySocket] || undefined;
  const proxyPort = intEnv(env, WORKSPACE_AGENT_ENV.proxyPort, 3128, 1, 65535);
  const proxyUrl =
    env[WORKSPACE_AGENT_ENV.proxyUrl] || (proxySocket ? `http://127.0.0.1:${proxyPort}` : undefined);
  if (proxyUrl && !HTTP_URL.test(proxyUrl)) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.proxyUrl} must be an http(s) URL, got ${JSON.stringify(proxyUrl)}`,
    );
  }
  const anthropicBaseUrl = httpUrlEnv(env, WORKSPACE_AGENT_ENV.anthropicBaseUrl);
  const bedrock = bedrockSettings(env);
  const model = env[WORKSPACE_AGENT_ENV.model] || undefined;
  if (model !== undefined && !MODEL.test(model)) {
    throw new AgentConfigError(
      `${WORKSPACE_AGENT_ENV.model} must be 1-200 characters without spaces, got ${JSON.stringify(model)}`,
    );
  }
  return {
    listenMode: mode,
    socketPath: env[WORKSPACE_AGENT_ENV.socket] || '/run/berth/agent/agent.sock',
    host: env[WORKSPACE_AGENT_ENV.host] || '0.0.0.0',
    port: intEnv(env, WORKSPACE_AGENT_ENV.port, 9000, 0, 65535),
    workspaceId,
    tokenPublicKey,
    workspaceDir,
    childHome: env[WORKSPACE_AGENT_ENV.childHome] || '/tmp/home',
    proxySocket,
    proxyPort,
    proxyUrl,
    spawnerPath: spawnerPath(env),
    anthropicBaseUrl,
    anthropicApiKey: env[WORKSPACE_AGENT_ENV.anthropicApiKey] || DEFAULT_ANTHROPIC_API_KEY,
    ...(bedrock && { bedrock }),
    ...(model && { model }),
    maxOutputBytes: intEnv(
      env,
      WORKSPACE_AGENT_ENV.maxOutputBytes,
      WORKSPACE_AGENT_LIMITS.defaultMaxOutputBytes,
      1,
      WORKSPACE_AGENT_LIMITS.maxOutputBytesLimit,
    ),
  };
}

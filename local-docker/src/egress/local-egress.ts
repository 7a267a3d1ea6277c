import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  invalidRequest,
  type EgressController,
  type EgressHeaderRule,
  type WorkspaceEgressRules,
  type WorkspaceRecord,
} from '@berth/core';
import {
  loadConfigFromEnv,
  noProxyMetrics,
  startProxy,
  staticResolver,
  workspaceEgressPolicy,
  type EgressPolicy,
  type ProxyConfig,
  type RunningProxy,
} from '@berth/proxy-sidecar';
import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import { proxySocketPath, workspaceDirs } from '../runtime/paths.js';
import { ensureOwnDir } from '../runtime/workspace-disk.js';

/** The operator's egress settings for every workspace of this host (LocalHostOptions.egress). */
export interface LocalEgressSettings {
  /** Reachable from every workspace (`name` / `*.suffix`, optionally `:port`). Default: nothing. */
  allowDomains?: string[];
  /** The real Anthropic key the proxy puts in `x-api-key`; the workspace only ever has a placeholder. */
  anthropicApiKey?: string;
  /**
   * Where the key goes. Default `https://api.anthropic.com`: the workspace sends plain HTTP to that host
   * through HTTP_PROXY (so the proxy can see and replace the header) and the proxy speaks the URL's scheme
   * upstream. The host (with the URL's port, if any) is added to the allowlist. Tests use
   * `http://name:port` for a loopback fake.
   */
  anthropicUpstream?: string;
  /**
   * Bedrock instead of the Anthropic API (exclusive with anthropicApiKey): the region whose Bedrock runtime
   * agent runs call. The proxy signs their requests with SigV4 using this host's AWS credentials (the default
   * provider chain: AWS_ACCESS_KEY_ID etc., a profile, ...); the workspace sends them unsigned and holds no
   * AWS credential. `bedrock-runtime.<region>.amazonaws.com` is added to the allowlist.
   */
  bedrockRegion?: string;
  /** Bedrock mode: the model id or inference profile of runs whose request names none (AGENT_MODEL). */
  bedrockModel?: string;
  /** TEST ONLY: instead of `https://bedrock-runtime.<region>.amazonaws.com`, e.g. `http://name:port`. */
  bedrockUpstream?: string;
  /** TEST ONLY: let loopback upstreams through (never private ranges or metadata). */
  allowLoopback?: boolean;
  /** TEST ONLY: replaces DNS with this table (`name → [ip]`); unknown names fail to resolve. */
  testHosts?: Record<string, string[]>;
  /** TEST ONLY: `http` makes header rules talk plain HTTP upstream (default `https`), for loopback fakes. */
  headerRulesUpstreamScheme?: 'https' | 'http';
}

export interface LocalEgressOptions extends LocalEgressSettings {
  /** The host's state dir: the proxy of workspace `id` listens on `<stateDir>/workspaces/<id>/host/proxy.sock`. */
  stateDir: string;
  /** Audit lines (`"message":"egress"`, with workspaceId) and proxy errors go here. */
  logger: Logger;
}

/** What a workspace's own rules look like on disk (`<stateDir>/workspaces/<id>/egress.json`). */
type StoredRules = { allowDomains: string[]; headerRules: EgressHeaderRule[] };
const NO_RULES: StoredRules = { allowDomains: [], headerRules: [] };

/**
 * One in-process egress proxy per local workspace (ARCHITECTURE.md §4): it listens on a Unix socket in the
 * workspace's root-owned `host/` dir, mounted read-only into the container, so the workspace can connect but
 * never replace the socket, and the listener's unlink/chmod of that path never meet a file of the
 * workspace's. The agent forwards 127.0.0.1:3128 in the container to it, and it is the container's only way
 * out (the container has no network). Policy = the operator's base (settings) plus the workspace's own rules
 * from `PUT /egress`, which are kept in the workspace's root dir — outside the bind mounts, so the workspace
 * cannot edit them — and survive a host restart.
 */
export class LocalEgress implements EgressController {
  private readonly base: ProxyConfig;
  private readonly ruleScheme: 'https' | 'http';
  private readonly proxies = new Map<string, Promise<RunningProxy>>();
  /**
   * How each workspace's agent reaches the model (AGENT_* variables), when a key or a Bedrock region is set:
   * plain HTTP to the upstream's host, through the proxy, which adds the key or the AWS signature and speaks
   * the upstream's scheme.
   */
  readonly modelAccessEnv: Record<string, string>;

  constructor(private readonly opts: LocalEgressOptions) {
    if (opts.anthropicApiKey && opts.bedrockRegion) {
      throw new Error(
        'egress.anthropicApiKey and egress.bedrockRegion are exclusive: the Anthropic API or Bedrock',
      );
    }
    if (opts.bedrockModel && !opts.bedrockRegion)
      throw new Error('egress.bedrockModel needs egress.bedrockRegion');
    const anthropic = opts.anthropicApiKey
      ? parseUpstream('anthropicUpstream', opts.anthropicUpstream ?? DEFAULT_ANTHROPIC_UPSTREAM)
      : undefined;
    const bedrock = opts.bedrockRegion
      ? parseUpstream('bedrockUpstream', opts.bedrockUpstream ?? defaultBedrockUpstream(opts.bedrockRegion))
      : undefined;
    this.base = baseConfig(opts, anthropic, bedrock);
    this.ruleScheme = opts.headerRulesUpstreamScheme ?? 'https';
    const env: Record<string, string> = {};
    if (anthropic) env[WORKSPACE_AGENT_ENV.anthropicBaseUrl] = anthropic.baseUrl;
    if (bedrock && opts.bedrockRegion) {
      env[WORKSPACE_AGENT_ENV.bedrockRegion] = opts.bedrockRegion;
      env[WORKSPACE_AGENT_ENV.bedrockBaseUrl] = bedrock.baseUrl;
      if (opts.bedrockModel) env[WORKSPACE_AGENT_ENV.model] = opts.bedrockModel;
    }
    this.modelAccessEnv = env;
  }

  /** Starts the workspace's proxy (idempotent). Must run before its container starts. */
  attach(workspaceId: string): Promise<RunningProxy> {
    let proxy = this.proxies.get(workspaceId);
    if (!proxy) {
      proxy = this.start(workspaceId);
      this.proxies.set(workspaceId, proxy);
      // A failed start must not stick: the next attach tries again.
      proxy.catch(() => {
        if (this.proxies.get(workspaceId) === proxy) this.proxies.delete(workspaceId);
      });
    }
    return proxy;
  }

  /** Stops the workspace's proxy and removes its socket; its stored rules stay with the workspace's dir. */
  async detach(workspaceId: string): Promise<void> {
    const proxy = this.proxies.get(workspaceId);
    if (!proxy) return;
    this.proxies.delete(workspaceId);
    await (await proxy.catch(() => null))?.close();
  }

  attached(): string[] {
    return [...this.proxies.keys()];
  }

  /**
   * Replaces the parts of the workspace's rules that `rules` names. Everything is checked before anything
   * changes, so bad input leaves the old rules in force (on disk and in the proxy).
   */
  async apply(ws: WorkspaceRecord, rules: WorkspaceEgressRules): Promise<void> {
    const current = await this.load(ws.id);
    const next: StoredRules = {
      allowDomains: rules.allowDomains ?? current.allowDomains,
      headerRules: rules.headerRules ?? current.headerRules,
    };
    const update = this.policyFor(next); // throws invalid_request before anything is written
    await this.save(ws.id, next);
    if (!this.proxies.has(ws.id)) {
      // Ready but no proxy here (e.g. a restart missed it): start one, which reads the rules just saved.
      await this.attach(ws.id);
      return;
    }
    (await this.attach(ws.id)).policy.update(update);
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.detach(id)));
  }

  private async start(workspaceId: string): Promise<RunningProxy> {
    const dirs = workspaceDirs(this.opts.stateDir, workspaceId);
    await mkdir(dirs.root, { recursive: true, mode: 0o755 });
    await ensureOwnDir(dirs.host);
    const config: ProxyConfig = {
      ...this.base,
      listen: { kind: 'unix', path: proxySocketPath(this.opts.stateDir, workspaceId) },
      workspaceId,
      policy: this.policyFor(await this.load(workspaceId)),
    };
    return startProxy(config, {
      logger: this.opts.logger,
      // Locally nobody reads CloudWatch EMF: per-workspace metric lines would only flood the host's stdout.
      metrics: noProxyMetrics,
      ...(this.opts.testHosts ? { resolve: staticResolver(this.opts.testHosts) } : {}),
    });
  }

  /** The workspace's policy: the operator's base plus its own rules (the gateway's rule, workspace-rules.ts). */
  private policyFor(rules: StoredRules): EgressPolicy {
    try {
      return workspaceEgressPolicy(this.base.policy, rules, { headerRulesUpstreamScheme: this.ruleScheme });
    } catch (e) {
      throw invalidRequest((e as Error).message);
    }
  }

  private rulesFile(workspaceId: string): string {
    return path.join(workspaceDirs(this.opts.stateDir, workspaceId).root, 'egress.json');
  }

  private async load(workspaceId: string): Promise<StoredRules> {
    try {
      const stored = JSON.parse(await readFile(this.rulesFile(workspaceId), 'utf8')) as Partial<StoredRules>;
      return { allowDomains: stored.allowDomains ?? [], headerRules: stored.headerRules ?? [] };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return NO_RULES;
      throw e;
    }
  }

  /** Atomic (temp + rename) and 0600: header values are secrets (MCP tokens). */
  private async save(workspaceId: string, rules: StoredRules): Promise<void> {
    const file = this.rulesFile(workspaceId);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(rules), { mode: 0o600 });
    await rename(tmp, file);
  }
}

/**
 * The proxy settings every workspace starts from, built through the proxy's own env parser so a bad
 * setting stops the host at start with the proxy's message. The host holds the policy (no admin API).
 */
function baseConfig(
  opts: LocalEgressSettings,
  anthropic: Upstream | undefined,
  bedrock: Upstream | undefined,
): ProxyConfig {
  const allow = [...(opts.allowDomains ?? [])];
  const env: Record<string, string> = {
    PROXY_ALLOW_LOOPBACK: opts.allowLoopback ? '1' : '0',
  };
  if (opts.anthropicApiKey && anthropic) {
    env.PROXY_ANTHROPIC_API_KEY = opts.anthropicApiKey;
    env.PROXY_ANTHROPIC_HOSTS = anthropic.host;
    env.PROXY_ANTHROPIC_UPSTREAM_SCHEME = anthropic.scheme;
    allow.push(anthropic.allowEntry);
  }
  if (opts.bedrockRegion && bedrock) {
    env.PROXY_BEDROCK_REGION = opts.bedrockRegion;
    env.PROXY_BEDROCK_HOSTS = bedrock.host;
    env.PROXY_BEDROCK_UPSTREAM_SCHEME = bedrock.scheme;
    allow.push(bedrock.allowEntry);
  }
  env.PROXY_ALLOW_DOMAINS = allow.join(',');
  return loadConfigFromEnv(env);
}

const DEFAULT_ANTHROPIC_UPSTREAM = 'https://api.anthropic.com';

function defaultBedrockUpstream(region: string): string {
  // Checked in full by the proxy's parser (PROXY_BEDROCK_REGION); this only keeps the URL a URL.
  if (!/^[a-z0-9-]+$/.test(region)) {
    throw new Error(`egress.bedrockRegion must be an AWS region name (e.g. us-east-1), got "${region}"`);
  }
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** A model API's upstream (egress.anthropicUpstream, egress.bedrockUpstream) as proxy and agent need it. */
interface Upstream {
  host: string;
  scheme: 'https' | 'http';
  allowEntry: string;
  baseUrl: string;
}

function parseUpstream(setting: string, text: string): Upstream {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`egress.${setting} "${text}" is not a URL`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search ||
    url.username
  ) {
    throw new Error(`egress.${setting} must be http(s)://host[:port] without a path, got "${text}"`);
  }
  return {
    host: url.hostname,
    scheme: url.protocol === 'http:' ? 'http' : 'https',
    // No port: the workspace's plain-HTTP requests arrive for port 80 and the proxy upgrades them.
    allowEntry: url.port ? `${url.hostname}:${url.port}` : url.hostname,
    baseUrl: `http://${url.host}`,
  };
}

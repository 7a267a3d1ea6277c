import * as z from '@berth/protocol/validation';
import type { ListenAddress } from './listen-address.js';
import { parseListenAddress } from './listen-address.js';
import { parseDomainList } from './policy/allowlist.js';
import type { EgressPolicy } from './policy/egress-policy.js';
import { bedrockHostFor, headerRulesSchema, parsedString } from './policy/egress-policy.js';
import { parseTestHosts } from './policy/resolver.js';

/** Bounds that keep one misbehaving peer from holding the proxy's resources. */
export interface ProxyLimits {
  /** Largest request head (request line + headers) accepted from the workspace; larger gets 431. */
  maxHeaderBytes: number;
  /** Time the workspace has to send a complete request head. */
  headersTimeoutMs: number;
  /** Time allowed to open a TCP connection upstream. */
  connectTimeoutMs: number;
  /** A forwarded request or tunnel with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Largest request body buffered for SigV4 signing; larger gets 413. */
  maxSignedBodyBytes: number;
}

/** Everything the proxy needs to start. Build it with {@link loadConfigFromEnv} or by hand. */
export interface ProxyConfig {
  /** Where the workspace reaches the proxy (TCP or `unix:` socket). */
  listen: ListenAddress;
  /** Admin API listener; null turns the admin API off. */
  adminListen: ListenAddress | null;
  /** Shared secret every admin call must present. */
  adminSecret: string;
  /** Written into every audit line. */
  workspaceId: string;
  /** Test-only: allow loopback upstreams (never private ranges or metadata). */
  allowLoopback: boolean;
  /** Initial allowlist and injection rules (the admin API can replace them). */
  policy: EgressPolicy;
  /** Test-only DNS table that replaces DNS entirely; null uses the system resolver. */
  testHosts: Record<string, string[]> | null;
  limits: ProxyLimits;
  /** How often EMF metrics are flushed to stdout. */
  metricsFlushIntervalMs: number;
  /** File mode for Unix socket listeners. */
  socketMode: number;
}

/** Thrown by {@link loadConfigFromEnv}; `issues` name the variables at fault. */
export class ProxyConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid proxy configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ProxyConfigError';
  }
}

// zod/mini loads no message locale: every variable's schema says what it wants itself.

const flag = z.pipe(
  z.enum(['', '0', '1', 'true', 'false'], { error: 'must be 1 or 0' }),
  z.transform((v) => v === '1' || v === 'true'),
);

const integer = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a whole number')), z.transform(Number)),
    z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
  );

const scheme = z.enum(['http', 'https'], { error: 'must be https or http' });
const withDefault = z._default;

const hostListText = parsedString((text) => {
  const hosts = text
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length === 0) throw new Error('must name at least one host');
  for (const host of hosts) {
    const rules = parseDomainList(host);
    if (rules[0]?.port !== null) throw new Error(`"${host}" must not carry a port`);
  }
  return hosts;
});

const headerRulesText = parsedString((text) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON (expected [{"host":...,"headers":{...}}])');
  }
  const result = headerRulesSchema.safeParse(json);
  if (!result.success)
    throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
});

const envSchema = z.strictObject({
  PROXY_LISTEN: withDefault(parsedString(parseListenAddress), parseListenAddress('127.0.0.1:8080')),
  PROXY_ADMIN_LISTEN: withDefault(
    parsedString((text) => (text === 'off' ? null : parseListenAddress(text))),
    parseListenAddress('127.0.0.1:8081'),
  ),
  PROXY_ADMIN_SECRET: z
    .string({ error: 'is required (the shared secret for the admin API)' })
    .check(z.minLength(16, 'must be at least 16 characters')),
  PROXY_WORKSPACE_ID: withDefault(
    z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 chars of [A-Za-z0-9._:-]')),
    'unknown',
  ),
  PROXY_ALLOW_DOMAINS: withDefault(parsedString(parseDomainList), []),
  PROXY_ALLOW_LOOPBACK: withDefault(flag, false),
  PROXY_ANTHROPIC_API_KEY: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  PROXY_ANTHROPIC_HOSTS: withDefault(hostListText, ['api.anthropic.com']),
  PROXY_ANTHROPIC_UPSTREAM_SCHEME: withDefault(scheme, 'https'),
  PROXY_BEDROCK_REGION: z.optional(
    z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'is not an AWS region name (e.g. us-east-1)')),
  ),
  PROXY_BEDROCK_HOSTS: z.optional(hostListText),
  PROXY_BEDROCK_UPSTREAM_SCHEME: withDefault(scheme, 'https'),
  PROXY_HEADER_RULES: withDefault(headerRulesText, []),
  PROXY_TEST_HOSTS: z.optional(parsedString(parseTestHosts)),
  PROXY_MAX_HEADER_BYTES: withDefault(integer(1024, 1024 * 1024), 16 * 1024),
  PROXY_HEADERS_TIMEOUT_MS: withDefault(integer(100, 600_000), 30_000),
  PROXY_CONNECT_TIMEOUT_MS: withDefault(integer(100, 600_000), 10_000),
  PROXY_IDLE_TIMEOUT_MS: withDefault(integer(100, 24 * 3_600_000), 600_000),
  PROXY_MAX_SIGNED_BODY_BYTES: withDefault(integer(1024, 512 * 1024 * 1024), 32 * 1024 * 1024),
  PROXY_METRICS_INTERVAL_MS: withDefault(integer(100, 3_600_000), 10_000),
  PROXY_SOCKET_MODE: withDefault(
    z.pipe(
      z.string().check(z.regex(/^0?[0-7]{3}$/, 'must be an octal file mode such as 0660')),
      z.transform((v: string) => parseInt(v, 8)),
    ),
    0o666,
  ),
});

/**
 * Reads the proxy configuration from environment variables (see README). Unset and empty variables
 * take their defaults. Throws {@link ProxyConfigError} listing every bad variable by name.
 */
export function loadConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ProxyConfig {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key.startsWith('PROXY_') && value !== undefined && value !== '',
    ),
  );
  const result = envSchema.safeParse(relevant);
  if (!result.success) {
    throw new ProxyConfigError(
      result.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({
              variable: key,
              message: 'is not a setting this proxy knows (misspelt?)',
            }))
          : [{ variable: String(issue.path[0] ?? 'environment'), message: issue.message }],
      ),
    );
  }
  const e = result.data;
  const issues: { variable: string; message: string }[] = [];
  if (e.PROXY_BEDROCK_HOSTS && !e.PROXY_BEDROCK_REGION) {
    issues.push({ variable: 'PROXY_BEDROCK_REGION', message: 'is required when PROXY_BEDROCK_HOSTS is set' });
  }
  if (issues.length > 0) throw new ProxyConfigError(issues);

  const policy: EgressPolicy = {
    allowDomains: e.PROXY_ALLOW_DOMAINS,
    anthropic: e.PROXY_ANTHROPIC_API_KEY
      ? {
          apiKey: e.PROXY_ANTHROPIC_API_KEY,
          hosts: e.PROXY_ANTHROPIC_HOSTS,
          upstreamScheme: e.PROXY_ANTHROPIC_UPSTREAM_SCHEME,
        }
      : null,
    bedrock: e.PROXY_BEDROCK_REGION
      ? {
          region: e.PROXY_BEDROCK_REGION,
          hosts: e.PROXY_BEDROCK_HOSTS ?? [bedrockHostFor(e.PROXY_BEDROCK_REGION)],
          upstreamScheme: e.PROXY_BEDROCK_UPSTREAM_SCHEME,
        }
      : null,
    headerRules: e.PROXY_HEADER_RULES,
  };
  return {
    listen: e.PROXY_LISTEN,
    adminListen: e.PROXY_ADMIN_LISTEN,
    adminSecret: e.PROXY_ADMIN_SECRET,
    workspaceId: e.PROXY_WORKSPACE_ID,
    allowLoopback: e.PROXY_ALLOW_LOOPBACK,
    policy,
    testHosts: e.PROXY_TEST_HOSTS ?? null,
    limits: {
      maxHeaderBytes: e.PROXY_MAX_HEADER_BYTES,
      headersTimeoutMs: e.PROXY_HEADERS_TIMEOUT_MS,
      connectTimeoutMs: e.PROXY_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.PROXY_IDLE_TIMEOUT_MS,
      maxSignedBodyBytes: e.PROXY_MAX_SIGNED_BODY_BYTES,
    },
    metricsFlushIntervalMs: e.PROXY_METRICS_INTERVAL_MS,
    socketMode: e.PROXY_SOCKET_MODE,
  };
}

import * as z from '@berth/protocol/validation';
import { parseListenAddress } from './listen-address.js';
import { parsedString } from './policy/egress-policy.js';

// The pieces every entry point's environment parser is built from (the sidecar's config.ts, the relay's
// relay-config.ts): one spelling and one message for each kind of setting. zod/mini loads no message
// locale, so every schema says what it wants itself.

/** Thrown by the environment parsers; `issues` name the variables at fault. */
export class ProxyConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid proxy configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ProxyConfigError';
  }
}

export const withDefault = z._default;

export const flag = z.pipe(
  z.enum(['', '0', '1', 'true', 'false'], { error: 'must be 1 or 0' }),
  z.transform((v) => v === '1' || v === 'true'),
);

export const integer = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a whole number')), z.transform(Number)),
    z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
  );

/** A variable that must be set, parsed by a function that throws an Error whose message is the issue. */
export const requiredText = <T>(missing: string, parse: (value: string) => T) =>
  z.pipe(z.string({ error: missing }), parsedString(parse));

export const listenAddress = (fallback: string) =>
  withDefault(parsedString(parseListenAddress), parseListenAddress(fallback));

/** A workspace id; `missing` is the message when the variable is required and unset. */
export const workspaceId = (missing = 'must be a string') =>
  z
    .string({ error: missing })
    .check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 chars of [A-Za-z0-9._:-]'));

export const socketMode = withDefault(
  z.pipe(
    z.string().check(z.regex(/^0?[0-7]{3}$/, 'must be an octal file mode such as 0660')),
    z.transform((v: string) => parseInt(v, 8)),
  ),
  0o666,
);

/** The bounds every listener of the proxy has (ProxyLimits' first four). */
export const listenerLimitSettings = {
  PROXY_MAX_HEADER_BYTES: withDefault(integer(1024, 1024 * 1024), 16 * 1024),
  PROXY_HEADERS_TIMEOUT_MS: withDefault(integer(100, 600_000), 30_000),
  PROXY_CONNECT_TIMEOUT_MS: withDefault(integer(100, 600_000), 10_000),
  PROXY_IDLE_TIMEOUT_MS: withDefault(integer(100, 24 * 3_600_000), 600_000),
};

/** What the programs that forward themselves (the sidecar and the gateway, not the relay) add to those. */
export const forwardingSettings = {
  ...listenerLimitSettings,
  PROXY_MAX_SIGNED_BODY_BYTES: withDefault(integer(1024, 512 * 1024 * 1024), 32 * 1024 * 1024),
  PROXY_METRICS_INTERVAL_MS: withDefault(integer(100, 3_600_000), 10_000),
};

type Parsed<Shape extends Record<string, z.ZodMiniType>> = { [K in keyof Shape]: z.output<Shape[K]> };

/** The listener bounds, from the variables of {@link listenerLimitSettings}. */
export const listenerLimitsFrom = (e: Parsed<typeof listenerLimitSettings>) => ({
  maxHeaderBytes: e.PROXY_MAX_HEADER_BYTES,
  headersTimeoutMs: e.PROXY_HEADERS_TIMEOUT_MS,
  connectTimeoutMs: e.PROXY_CONNECT_TIMEOUT_MS,
  idleTimeoutMs: e.PROXY_IDLE_TIMEOUT_MS,
});

/** ProxyLimits and the metrics interval, from the variables of {@link forwardingSettings}. */
export const forwardingFrom = (e: Parsed<typeof forwardingSettings>) => ({
  limits: { ...listenerLimitsFrom(e), maxSignedBodyBytes: e.PROXY_MAX_SIGNED_BODY_BYTES },
  metricsFlushIntervalMs: e.PROXY_METRICS_INTERVAL_MS,
});

/**
 * Parses the `PROXY_*` variables of `env` with `schema` (a strict object: an unknown `PROXY_*` variable is
 * an error, most likely a typo). Unset and empty variables take their defaults. Throws
 * {@link ProxyConfigError} listing every bad variable by name.
 */
export function parseProxyEnv<T>(
  schema: z.ZodMiniType<T>,
  env: Readonly<Record<string, string | undefined>>,
  component = 'proxy',
): T {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key.startsWith('PROXY_') && value !== undefined && value !== '',
    ),
  );
  const result = schema.safeParse(relevant);
  if (result.success) return result.data;
  throw new ProxyConfigError(
    result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            variable: key,
            message: `is not a setting this ${component} knows (misspelt?)`,
          }))
        : [{ variable: String(issue.path[0] ?? 'environment'), message: issue.message }],
    ),
  );
}

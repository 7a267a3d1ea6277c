/**
 * The SDK clients' own timeouts, as NodeHttpHandler options (the SDK has none by default): a stalled socket fails and is closed instead of
 * waiting forever, so calls past the control plane's deadlines (core dependency-deadlines.ts) do not pile up
 * open sockets. Retries stay few, so a stall is reported quickly rather than retried for long.
 */
export const SDK_TIMEOUTS = {
  /** DynamoDB: items are small, a round trip takes milliseconds. */
  dynamodb: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  /** ECS API calls. */
  ecs: { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  /** Step Functions: StartExecution and friends are small control calls. */
  sfn: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  /** SQS: one small SendMessage (a stop handed to the stop worker). */
  sqs: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  /** Secrets Manager: one small GetSecretValue per cold start (the agent-token signing key). */
  secretsManager: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  /** Lambda: one small asynchronous Invoke (a pool refill asked for), answered once queued. */
  lambda: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  /** SSM: one small GetParameter (the API keys). */
  ssm: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  /** S3 moves large objects: no bound on the whole request, only on a socket that stops moving. */
  s3: { connectionTimeout: 3_000, socketTimeout: 30_000 },
} as const;

/** Attempts per SDK call (the SDK's default is 3 too; stated so a change is deliberate). */
export const SDK_MAX_ATTEMPTS = 3;

/**
 * `config` with the timeouts of `kind` where it sets none itself: a caller's own `requestHandler` (an
 * instance or options) or `maxAttempts` wins.
 */
export function withSdkTimeouts<C extends object>(config: C, kind: keyof typeof SDK_TIMEOUTS): C {
  return { requestHandler: { ...SDK_TIMEOUTS[kind] }, maxAttempts: SDK_MAX_ATTEMPTS, ...config };
}

/** Error names of the SDK and the services that mean "try again later", not "your request is wrong". */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalError',
]);
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether an AWS SDK failure means the service is not reachable or not coping right now (a socket timeout,
 * a refused connection, a throttle, a 5xx): core's dependency deadlines turn these into 503 `unavailable`
 * with Retry-After instead of a 500. Conditional-check failures and other 4xx are the caller's business.
 */
export function isAwsUnavailable(e: unknown): boolean {
  const err = e as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (!err || typeof err !== 'object') return false;
  if (UNAVAILABLE_NAMES.has(String(err.name)) || CONNECTION_CODES.has(String(err.code))) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

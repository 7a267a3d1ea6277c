import * as z from '@berth/protocol/validation';
import { invalidRequest } from './errors.js';

// zod/mini loads no message locale (the English one would add ~3 KB to every Lambda), so every setting says
// what it wants itself: an operator with a bad BERTH_CONFIG reads "ttl.minSeconds: must be an integer of at
// least 1", not "Invalid input".
const int = (min: number, max?: number) => {
  const error = `must be an integer ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}`;
  return z.int({ error }).check(z.gte(min, { error }), ...(max === undefined ? [] : [z.lte(max, { error })]));
};
const positiveInt = () => int(1);
const text = (error: string) => z.string({ error }).check(z.minLength(1, { error }));
const withDefault = z._default;
const anObject = { error: 'must be an object' };
/** A group of settings, each with a default: each may be left out, and so may the group. */
const group = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => {
  const settings = z.object(shape, anObject);
  return z.prefault(settings, {} as z.input<typeof settings>);
};

const cpusError = 'must be a number above 0, at most 16';

/** One kind of workspace: which image and how much of the machine it may use. */
export const templateSchema = z.object(
  {
    image: withDefault(text('must be an image name'), 'berth/workspace:latest'),
    cpus: withDefault(z.number({ error: cpusError }).check(z.positive(cpusError), z.lte(16, cpusError)), 2),
    memoryMiB: withDefault(int(64, 65536), 2048),
    pids: withDefault(int(16, 4096), 100),
    /** Disk quota of the workspace's files (ARCHITECTURE.md §4); writes past it fail with ENOSPC inside. */
    diskMiB: withDefault(int(16, 200 * 1024), 5120),
    /**
     * Warm pool of this template (core pool/): started, healthy members waiting to be claimed. The
     * target adapts to demand within [min, max] (pool/pool-target.ts); max 0 means no pool.
     */
    pool: group({
      min: withDefault(int(0, 1000), 0),
      max: withDefault(int(0, 1000), 0),
    }),
  },
  anObject,
);
export type TemplateConfig = z.infer<typeof templateSchema>;

/**
 * Control-plane settings, each with the default a user gets without asking. Parse with `loadBerthConfig`;
 * adapters read their own settings (table names, ports) separately.
 */
export const configSchema = z.object(
  {
    ttl: group({
      defaultSeconds: withDefault(int(60, 86_400), 1800),
      minSeconds: withDefault(int(1), 60),
      maxSeconds: withDefault(int(1, 7 * 86_400), 86_400),
    }),
    /** The warm pools of all templates (each template's own size is `templates.<name>.pool`). */
    pool: group({
      /** A member older than this is drained and replaced (fresh images, no long-lived idle containers). */
      maxAgeSeconds: withDefault(int(60, 7 * 86_400), 3600),
      /** Pool members starting at once, over all templates: refill never crowds out the tenants' cold starts. */
      maxConcurrentStarts: withDefault(positiveInt(), 4),
      /** Members kept on top of what demand asks for (pool-target.ts), within [min, max]. */
      headroom: withDefault(int(0, 1000), 1),
      /** How often the pool is refilled on schedule at the latest (deployed: the refill rule; locally the sweep). */
      refillIntervalSeconds: withDefault(positiveInt(), 60),
      /** How far back demand is looked at for the adaptive target and reported by `GET /v1/pool`. */
      demandWindowSeconds: withDefault(int(60, 86_400), 900),
      /** Locally warm members are frozen (docker pause: no CPU) until claimed; Fargate cannot freeze. */
      freezeWarm: withDefault(z.boolean({ error: 'must be true or false' }), false),
      /**
       * With `freezeWarm`, this many warm members per template wait thawed (idle, ready at once): the next claim
       * skips the thaw, which is most of a local claim's time. The refill thaws the next one after a claim.
       */
      thawedAhead: withDefault(int(0, 1000), 1),
    }),
    /** Admission control (API.md "Admission"): refuse early with Retry-After instead of piling up. */
    admission: group({
      /** Live workspaces one tenant may hold; a create past it answers 429 quota_exceeded. */
      tenantQuota: withDefault(positiveInt(), 100),
      /** A cold start that would wait longer than this for its turn answers 503 capacity instead. */
      maxStartWaitMs: withDefault(positiveInt(), 20_000),
    }),
    /** How long ended workspace records stay readable before TTL may delete them. */
    endedRetentionSeconds: withDefault(int(60), 7 * 86_400),
    templates: withDefault(
      z.record(z.string(), templateSchema, { error: 'must be an object of templates by name' }),
      () => ({
        default: templateSchema.parse({}),
      }),
    ),
    provisioning: group({
      /** A workspace still provisioning after this is failed by the sweep. */
      deadlineMs: withDefault(positiveInt(), 120_000),
      /**
       * How long one check of the state machine's endpoint / health loop may poll before it answers "not yet"
       * (the machine then waits and checks again; provisioning/definition.ts bounds the loops).
       */
      endpointTimeoutMs: withDefault(positiveInt(), 1_500),
      healthTimeoutMs: withDefault(positiveInt(), 1_500),
      /** Poll interval within one such check. */
      pollIntervalMs: withDefault(positiveInt(), 250),
      /**
       * The slowest snapshot restore rate counted on: a restore of N bytes moves the deadline out by N / rate
       * (local runs measure ~30 MiB/s; S3 into ECS is slower).
       */
      restoreBytesPerSecond: withDefault(positiveInt(), 8 * 1024 * 1024),
    }),
    /**
     * A task that stopped less than this long ago is left to its task-state event (which may be on its way or
     * being handled): the sweep is the backstop for events that never came, not a second racer.
     */
    taskEventGraceMs: withDefault(int(0), 30_000),
    /** A workspace still stopping after this is finished by the sweep. */
    stoppingDeadlineMs: withDefault(positiveInt(), 120_000),
    /** `wait: true` creates answer after at most this long (API Gateway stops at 29 s). */
    waitForReadyMs: withDefault(positiveInt(), 25_000),
    /** How often `wait` re-reads the store. */
    readyPollIntervalMs: withDefault(positiveInt(), 200),
    /** Command/file activity moves lastActiveAt/expiresAt at most this often (saves a write per call). */
    activityWriteIntervalMs: withDefault(int(0), 10_000),
    commands: group({
      defaultTimeoutMs: withDefault(positiveInt(), 60_000),
      maxTimeoutMs: withDefault(positiveInt(), 900_000),
    }),
    /**
     * Deadlines of the control plane's calls to its dependencies (services/dependency-deadlines.ts): past one,
     * the call fails with 503 `unavailable` and Retry-After instead of hanging for as long as the dependency
     * stalls. Streams are bounded to their start; uploads by progress (each chunk restarts the deadline).
     */
    deadlines: group({
      /** Every store call: a table round trip takes milliseconds. */
      storeMs: withDefault(positiveInt(), 3_000),
      /** Blob store calls, and the longest an upload or a download start may stall. */
      blobsMs: withDefault(positiveInt(), 30_000),
      /** Runtime reads (describe, list, ping). */
      runtimeMs: withDefault(positiveInt(), 10_000),
      /** Starting, stopping, pausing and resuming a container or task. */
      runtimeLifecycleMs: withDefault(positiveInt(), 60_000),
    }),
    /** Request bodies above this answer 413 (Lambda's synchronous payload limit). */
    maxBodyBytes: withDefault(positiveInt(), 6 * 1024 * 1024),
    /** The directory the agent confines files to, as clients name it. */
    workspaceRoot: withDefault(z.string({ error: 'must be a path' }), '/workspace'),
  },
  anObject,
);

export type BerthConfig = z.infer<typeof configSchema>;
export type BerthConfigInput = z.input<typeof configSchema>;

/** The settings, defaults filled in; throws an Error naming every setting at fault and what it must be. */
export function loadBerthConfig(input: BerthConfigInput = {}): BerthConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(the config)'}: ${i.message}`);
  throw new Error(`invalid Berth config:\n${problems.join('\n')}`);
}

/** A requested lease length, within the configured bounds (API.md: 60..86400 by default), or invalid_request. */
export function checkTtl(config: BerthConfig, ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  const { minSeconds, maxSeconds } = config.ttl;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < minSeconds || ttlSeconds > maxSeconds) {
    throw invalidRequest(`ttlSeconds: must be an integer from ${minSeconds} to ${maxSeconds}`);
  }
  return ttlSeconds;
}

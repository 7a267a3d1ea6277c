import { z } from 'zod';
import { invalidRequest } from './errors.js';

/** One kind of workspace: which image and how much of the machine it may use. */
export const templateSchema = z.object({
  image: z.string().min(1).default('berth/workspace:latest'),
  cpus: z.number().positive().max(16).default(2),
  memoryMiB: z.number().int().min(64).max(65536).default(2048),
  pids: z.number().int().min(16).max(4096).default(100),
  /** Disk quota of the workspace's files (ARCHITECTURE.md §4); writes past it fail with ENOSPC inside. */
  diskMiB: z
    .number()
    .int()
    .min(16)
    .max(200 * 1024)
    .default(5120),
});
export type TemplateConfig = z.infer<typeof templateSchema>;

/**
 * Control-plane settings, each with the default a user gets without asking. Parse with `loadConfig`;
 * adapters read their own settings (table names, ports) separately.
 */
export const configSchema = z.object({
  ttl: z
    .object({
      defaultSeconds: z.number().int().min(60).max(86_400).default(1800),
      minSeconds: z.number().int().min(1).default(60),
      maxSeconds: z
        .number()
        .int()
        .max(7 * 86_400)
        .default(86_400),
    })
    .prefault({}),
  /** How long ended workspace records stay readable before TTL may delete them. */
  endedRetentionSeconds: z
    .number()
    .int()
    .min(60)
    .default(7 * 86_400),
  templates: z.record(z.string(), templateSchema).default({ default: templateSchema.parse({}) }),
  provisioning: z
    .object({
      /** A workspace still provisioning after this is failed by the sweep. */
      deadlineMs: z.number().int().positive().default(120_000),
      endpointTimeoutMs: z.number().int().positive().default(60_000),
      healthTimeoutMs: z.number().int().positive().default(30_000),
      /** Poll interval of the wait-for-endpoint and wait-for-health steps. */
      pollIntervalMs: z.number().int().positive().default(250),
      /**
       * The slowest snapshot restore rate counted on: a restore of N bytes moves the deadline out by N / rate
       * (local runs measure ~30 MiB/s; S3 into ECS is slower).
       */
      restoreBytesPerSecond: z
        .number()
        .int()
        .positive()
        .default(8 * 1024 * 1024),
    })
    .prefault({}),
  /**
   * A task that stopped less than this long ago is left to its task-state event (which may be on its way or
   * being handled): the sweep is the backstop for events that never came, not a second racer.
   */
  taskEventGraceMs: z.number().int().min(0).default(30_000),
  /** A workspace still stopping after this is finished by the sweep. */
  stoppingDeadlineMs: z.number().int().positive().default(120_000),
  /** `wait: true` creates answer after at most this long (API Gateway stops at 29 s). */
  waitForReadyMs: z.number().int().positive().default(25_000),
  /** How often `wait` re-reads the store. */
  readyPollIntervalMs: z.number().int().positive().default(200),
  /** Exec/file activity moves lastActiveAt/expiresAt at most this often (saves a write per call). */
  activityWriteIntervalMs: z.number().int().min(0).default(10_000),
  exec: z
    .object({
      defaultTimeoutMs: z.number().int().positive().default(60_000),
      maxTimeoutMs: z.number().int().positive().default(900_000),
    })
    .prefault({}),
  /**
   * Deadlines of the control plane's calls to its dependencies (services/dependency-deadlines.ts): past one,
   * the call fails with 503 `unavailable` and Retry-After instead of hanging for as long as the dependency
   * stalls. Streams are bounded to their start; uploads by progress (each chunk restarts the deadline).
   */
  deadlines: z
    .object({
      /** Every store call: a table round trip takes milliseconds. */
      storeMs: z.number().int().positive().default(3_000),
      /** Blob store calls, and the longest an upload or a download start may stall. */
      blobsMs: z.number().int().positive().default(30_000),
      /** Runtime reads (describe, list, ping). */
      runtimeMs: z.number().int().positive().default(10_000),
      /** Starting, stopping, pausing and resuming a container or task. */
      runtimeLifecycleMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** Request bodies above this answer 413 (Lambda's synchronous payload limit). */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(6 * 1024 * 1024),
  /** The directory the agent confines files to, as clients name it. */
  workspaceRoot: z.string().default('/workspace'),
});

export type BerthConfig = z.infer<typeof configSchema>;
export type BerthConfigInput = z.input<typeof configSchema>;

export function loadConfig(input: BerthConfigInput = {}): BerthConfig {
  return configSchema.parse(input);
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

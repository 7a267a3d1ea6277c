import type { BerthConfig } from '../config.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { ContainerRuntime } from '../ports/container-runtime.js';
import type { Stopper } from '../ports/stopper.js';
import { withDeadlines } from '../ports/with-deadline.js';
import type { WorkspaceStore } from '../ports/workspace-store.js';
import type { ServiceLogger, ServiceMetrics } from './deps.js';

/**
 * Where timeouts are logged and counted (absent, the 503 itself, logged by the handler, names the
 * dependency), and which of the adapter's own errors mean "unreachable" (e.g. the AWS SDK's timeouts).
 */
export interface DeadlineObservers {
  log?: ServiceLogger;
  metrics?: ServiceMetrics;
  unavailableWhen?: (e: unknown) => boolean;
}

/**
 * The store with `deadlines.storeMs` on every call. Creating a workspace retries its transaction on
 * conflicts among concurrent creates of one conversation, so it gets three times as long.
 */
export const storeWithDeadlines = (store: WorkspaceStore, config: BerthConfig, o: DeadlineObservers = {}) =>
  withDeadlines(store, {
    dependency: 'store',
    timeoutMs: config.deadlines.storeMs,
    methods: { createForConversation: 3 * config.deadlines.storeMs },
    ...o,
  });

export const blobsWithDeadlines = (blobs: BlobStore, config: BerthConfig, o: DeadlineObservers = {}) =>
  withDeadlines(blobs, { dependency: 'blob store', timeoutMs: config.deadlines.blobsMs, ...o });

/** Reads get `runtimeMs`; starting, stopping, pausing and resuming (which wait for the engine) get longer. */
export function runtimeWithDeadlines<R extends ContainerRuntime>(
  runtime: R,
  config: BerthConfig,
  o: DeadlineObservers = {},
): R {
  const lifecycle = config.deadlines.runtimeLifecycleMs;
  return withDeadlines(runtime, {
    dependency: 'container runtime',
    timeoutMs: config.deadlines.runtimeMs,
    methods: { start: lifecycle, stop: lifecycle, pause: lifecycle, resume: lifecycle },
    ...o,
  });
}

/** Handing a stop over is one small queue write: the store's deadline. */
export const stopperWithDeadlines = (stopper: Stopper, config: BerthConfig, o: DeadlineObservers = {}) =>
  withDeadlines(stopper, { dependency: 'stop queue', timeoutMs: config.deadlines.storeMs, ...o });

import { generateKeyPairSync } from 'node:crypto';
import {
  SignedAgentTokens,
  missingTask,
  noMetrics,
  silentLogger,
  systemClock,
  type BerthConfig,
  type BlobStore,
  type ContainerRuntime,
  type ServiceDeps,
  type WorkspaceStore,
} from '@berth/core';

/** Nothing to restore: no conversation of these tests has a snapshot. */
const noBlobs: BlobStore = {
  put: async () => {},
  get: async () => undefined,
  putStream: async () => {},
  getStream: async () => undefined,
  delete: async () => {},
  list: async () => [],
  ping: async () => {},
};

/** Tasks that are there: thawing a member succeeds; nothing else is asked of them. */
const presentTasks = (freezes: boolean): ContainerRuntime => ({
  kind: 'ecs',
  freezes,
  start: async () => ({ taskRef: 'never' }),
  describe: async (ref) => ({ ...missingTask(ref), state: 'running' }),
  stop: async () => {},
  pause: async () => {},
  resume: async () => {},
  list: async () => [],
  ping: async () => {},
});

/**
 * The core services over a real store (DynamoDB Local) and stand-ins for the rest, for the pool's races: what
 * is under test is the store's transactions. Cold starts are recorded in `coldStarts`.
 */
export function poolDeps(store: WorkspaceStore, config: BerthConfig, opts: { freezes?: boolean } = {}) {
  const coldStarts: string[] = [];
  const deps: ServiceDeps = {
    store,
    runtime: presentTasks(opts.freezes ?? true),
    blobs: noBlobs,
    workspaceAgent: {} as ServiceDeps['workspaceAgent'],
    agentTokens: new SignedAgentTokens(generateKeyPairSync('ed25519').privateKey, { clock: systemClock }),
    stopper: { handOver: async () => {} },
    provisioner: { start: async ({ workspaceId }) => void coldStarts.push(workspaceId) },
    clock: systemClock,
    config,
    log: silentLogger,
    metrics: noMetrics,
  };
  return { deps, coldStarts };
}

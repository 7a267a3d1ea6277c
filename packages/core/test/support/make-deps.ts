import { generateKeyPairSync } from 'node:crypto';
import { verifyAgentToken } from '@berth/protocol/agent-token';
import {
  loadBerthConfig,
  newWorkspaceId,
  SignedAgentTokens,
  inProcessStopper,
  noMetrics,
  silentLogger,
  type BerthConfigInput,
  type Clock,
  type ServiceDeps,
  type ServiceLogger,
  type ServiceMetrics,
  type WorkspaceRecord,
} from '@berth/core';
import { FakeWorkspaceAgent } from './fake-workspace-agent.js';
import { FakeProvisioner } from './fake-provisioner.js';
import { FakeRuntime } from './fake-runtime.js';
import { MemoryBlobStore } from './memory-blobs.js';
import { MemoryWorkspaceStore } from './memory-store.js';

/** A clock tests move: it follows real time (so polling loops end) plus whatever `advance` added, or stands still. */
export class TestClock implements Clock {
  private offset = 0;
  private frozenAt: number | null = null;

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  /** Stops the clock at its current reading (time moves only through `advance`). */
  freeze(): void {
    this.frozenAt = Date.now();
  }
}

export interface TestDeps extends ServiceDeps {
  store: MemoryWorkspaceStore;
  runtime: FakeRuntime;
  workspaceAgent: FakeWorkspaceAgent;
  blobs: MemoryBlobStore;
  provisioner: FakeProvisioner;
  clock: TestClock;
}

/** Config with polls and waits small enough for a unit suite. */
export const testConfig = (input: BerthConfigInput = {}) =>
  loadBerthConfig({
    waitForReadyMs: 2000,
    readyPollIntervalMs: 1,
    ...input,
    provisioning: { pollIntervalMs: 1, endpointTimeoutMs: 30, healthTimeoutMs: 30, ...input.provisioning },
  });

export function makeDeps(
  overrides: {
    config?: BerthConfigInput;
    log?: ServiceLogger;
    metrics?: ServiceMetrics;
  } = {},
): TestDeps {
  const clock = new TestClock();
  const deps: TestDeps = {
    store: new MemoryWorkspaceStore(),
    runtime: new FakeRuntime(),
    workspaceAgent: new FakeWorkspaceAgent(),
    blobs: new MemoryBlobStore(),
    provisioner: new FakeProvisioner(() => deps),
    clock,
    agentTokens: new SignedAgentTokens(TEST_AGENT_KEYS.privateKey, { clock }),
    config: testConfig(overrides.config),
    log: overrides.log ?? silentLogger,
    metrics: overrides.metrics ?? noMetrics,
    // Stops and hibernations finish in process, as on the local host (tests of the queue wire their own).
    stopper: inProcessStopper(() => deps),
  };
  return deps;
}

/** The control plane's agent-token key pair in tests (the agent side verifies with the public key). */
export const TEST_AGENT_KEYS = generateKeyPairSync('ed25519');

/** Whether `token` is a valid agent token for `workspaceId` now (what that workspace's agent would accept). */
export const isAgentTokenFor = (token: string | null, workspaceId: string): boolean =>
  token !== null &&
  verifyAgentToken(TEST_AGENT_KEYS.publicKey, token, {
    workspaceId,
    nowSeconds: Math.floor(Date.now() / 1000),
  }).ok;

/** A logger that keeps what it is told. */
export function recordingLogger() {
  const lines: { level: string; message: string; attributes?: Record<string, unknown> }[] = [];
  const log: ServiceLogger = {
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
  return { log, lines };
}

/**
 * Stores a workspace in a given state directly (with a running fake task for live states that need one).
 * Defaults describe a ready workspace of tenant `t1`.
 */
export function seedWorkspace(deps: TestDeps, partial: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  const now = deps.clock.now();
  const id = partial.id ?? newWorkspaceId();
  const status = partial.status ?? 'ready';
  const needsTask = status === 'ready' || status === 'paused' || status === 'stopping';
  let taskRef = partial.taskRef ?? null;
  if (taskRef === null && needsTask && !('taskRef' in partial)) {
    taskRef = `seed-${id}`;
    deps.runtime.addTask(taskRef, { workspaceId: id, state: status === 'paused' ? 'paused' : 'running' });
  }
  const ws: WorkspaceRecord = {
    id,
    tenantId: 't1',
    conversationId: `conv-${id}`,
    status,
    version: 1,
    template: 'default',
    labels: {},
    createdAt: now,
    readyAt: status === 'provisioning' ? null : now,
    expiresAt: now + 1800_000,
    lastActiveAt: now,
    ttlSeconds: 1800,
    deadlineAt: status === 'provisioning' ? now + 120_000 : null,
    terminationReason: null,
    runtime: 'docker',
    fromPool: false,
    templateVersion: '',
    taskRef,
    endpoint: taskRef ? deps.runtime.endpointFor(taskRef) : null,
    ...partial,
  };
  return deps.store.seed(ws);
}

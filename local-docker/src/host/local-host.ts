import { createPublicKey } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterQuiet } from './after-quiet.js';
import { CoalescedMetrics } from './coalesced-metrics.js';
import { DynamoWorkspaceStore, isAwsUnavailable } from '@berth/aws';
import { ensureTable, localClientConfig, startDynamoDbLocal, type DynamoDbLocal } from '@berth/aws/local';
import {
  HttpWorkspaceAgentClient,
  SignedAgentTokens,
  METRIC_NAMESPACE,
  PROVISION_STEPS,
  WriteThroughCache,
  blobsWithDeadlines,
  runtimeWithDeadlines,
  storeWithDeadlines,
  loadBerthConfig,
  systemClock,
  coalesced,
  inProcessStopper,
  refillPool,
  type BerthConfigInput,
  type PoolBounds,
  type ProvisionStepName,
  type SweepReport,
} from '@berth/core';
import {
  StaticTenantResolver,
  createApiHandler,
  apiRoutes,
  createProvisionStepHandler,
  createSweepHandler,
  createTaskStoppedHandler,
  serviceLogger,
  serviceMetrics,
  type AppDeps,
  type HandlerObservability,
} from '@berth/functions';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FsBlobStore } from '../blobs/fs-blob-store.js';
import { EgressRuntime } from '../egress/egress-runtime.js';
import { LocalEgress, type LocalEgressSettings } from '../egress/local-egress.js';
import { WORKSPACE_IMAGE } from '../images/names.js';
import { subscribeDockerEvents, type DockerEventSubscription } from '../runtime/docker-events.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { localLambdaContext } from './lambda-context.js';
import { installLambdaRuntimeShim } from './lambda-runtime-shim.js';
import {
  startApiServer,
  type ApiHandlers,
  type BufferedApiHandler,
  type StreamingApiHandler,
} from './api-server.js';
import { LocalProvisioner } from './local-provisioner.js';
import { loadOrCreateAgentSigningKey } from './agent-signing-key.js';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { failInterruptedProvisioning } from './interrupted-provisioning.js';
import { failUnsoundWorkspaces, reattachLiveWorkspaces } from './live-workspaces.js';
import { salvageFiles } from './salvage-files.js';
import { EndedWorkspaceDirs } from './ended-workspace-dirs.js';
import { toTaskStopped } from './task-events.js';

export interface LocalHostOptions {
  /** Where everything local lives: DynamoDB files, blobs, workspace dirs. */
  stateDir: string;
  /** 0 picks a free port. Default 8787. */
  port?: number;
  host?: string;
  /** `tenantA:keyA,tenantB:keyB` */
  apiKeys: string;
  /** Use a running DynamoDB Local instead of starting one on `<stateDir>/dynamodb`. */
  dynamoEndpoint?: string;
  tableName?: string;
  image?: string;
  /**
   * Label key prefix of this host's containers (default `dev.berth`). The orphan sweep stops every container
   * carrying it that this host's table does not know, so two hosts on one engine (a test run next to a
   * developer's own Berth) must use different prefixes or they destroy each other's workspaces.
   */
  labelPrefix?: string;
  sweepIntervalMs?: number;
  /** Overrides of the control plane's settings (core/config.ts). */
  config?: BerthConfigInput;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Each workspace's egress proxy (in this process, on a Unix socket in its root-owned host dir). Default: on with an
   * empty allowlist, so a workspace reaches nothing that is not allowed. `false`: no proxy (PUT /egress → 422).
   */
  egress?: LocalEgressSettings | false;
  /** Every workspace's disk quota in MiB, instead of its template's `diskMiB` (BERTH_DISK_MIB). */
  diskMiB?: number;
  /** Warm pools by template (BERTH_POOL_TARGETS); members are frozen until claimed. */
  pools?: Record<string, PoolBounds>;
  /** Provisionings at once (the rest wait their turn, first come first served). Default 4. */
  concurrentStarts?: number;
}

export interface LocalHost {
  url: string;
  deps: AppDeps;
  runtime: DockerRuntime;
  /** The workspaces' egress proxies; null when `egress: false`. */
  egress: LocalEgress | null;
  provisioner: LocalProvisioner;
  /** Runs the sweep now (the timer runs it every `sweepIntervalMs`). */
  sweepNow(): Promise<SweepReport>;
  /** Refills the warm pools now and resolves once no refill is running (the timer refills after each sweep). */
  refillNow(): Promise<void>;
  /** Stops serving; workspaces keep running and are picked up by the next start. */
  close(): Promise<void>;
}

/** A refill asked for by claims and misses waits for them to pause (after-quiet.ts). */
const REFILL_AFTER_CLAIMS = { quietMs: 250, maxDelayMs: 2_000 };

/**
 * Berth on one machine: the same Lambda handlers behind a local HTTP server, the same provisioning state
 * machine under aws-local-stepfunctions, Docker events as the core's TaskStopped, the sweep on a timer,
 * DynamoDB Local for state and a directory for file snapshots.
 */
export async function startLocalHost(opts: LocalHostOptions): Promise<LocalHost> {
  installLambdaRuntimeShim();
  await mkdir(opts.stateDir, { recursive: true });
  const allMetrics: CoalescedMetrics[] = [];
  const observe = (serviceName: string): HandlerObservability => {
    const logger = new Logger({ serviceName, logLevel: opts.logLevel ?? 'INFO' });
    // Metrics' own warnings (e.g. "No application metrics to publish" after every step handler) go through
    // the logger, so `logLevel` silences them too instead of them going straight to the console.
    const metrics = new CoalescedMetrics({ namespace: METRIC_NAMESPACE, serviceName, logger });
    allMetrics.push(metrics);
    return { logger, metrics };
  };
  const core = observe('berth-local');

  let dynamo: DynamoDbLocal | undefined;
  let endpoint = opts.dynamoEndpoint;
  if (!endpoint) {
    dynamo = await startDynamoDbLocal({ dbPath: join(opts.stateDir, 'dynamodb') });
    endpoint = dynamo.endpoint;
  }
  const tableName = opts.tableName ?? 'berth';
  const clientConfig = localClientConfig(endpoint);
  await ensureTable(new DynamoDBClient(clientConfig), tableName);

  // Signs the token of every call to a workspace's agent; workspaces get only the public half.
  const agentSigningKey = await loadOrCreateAgentSigningKey(opts.stateDir);
  const runtime = new DockerRuntime({
    stateDir: opts.stateDir,
    agentPublicKey: agentPublicKeyText(createPublicKey(agentSigningKey)),
    ...(opts.labelPrefix ? { labelPrefix: opts.labelPrefix } : {}),
    ...(opts.diskMiB ? { diskMiB: opts.diskMiB } : {}),
    warn: (message, extra) => core.logger.warn(message, extra),
  });
  const egress =
    opts.egress === false
      ? null
      : new LocalEgress({ ...opts.egress, stateDir: opts.stateDir, logger: observe('berth-egress').logger });
  const workspaceRuntime = egress ? new EgressRuntime(runtime, egress) : runtime;
  // After a restart, workspaces that kept running get their dirs checked and their proxies (and stored
  // rules) back; one that fails its check is failed below, once the services are up, and the rest served.
  const unsound = await reattachLiveWorkspaces(
    runtime,
    workspaceRuntime instanceof EgressRuntime ? workspaceRuntime : null,
    serviceLogger(core.logger),
  );
  const workspaceAgent = new HttpWorkspaceAgentClient();
  const image = opts.image ?? WORKSPACE_IMAGE;
  const sweepIntervalMs = opts.sweepIntervalMs ?? 5_000;
  const config = loadBerthConfig({
    templates: { default: { image, ...(opts.pools?.default && { pool: opts.pools.default }) } },
    // Locally a container is milliseconds from ready: poll tightly.
    provisioning: { pollIntervalMs: 5 },
    readyPollIntervalMs: 5,
    // Warm members wait frozen (no CPU); the sweep's timer refills.
    pool: { freezeWarm: true, refillIntervalSeconds: Math.ceil(sweepIntervalMs / 1000) },
    ...opts.config,
  });
  for (const [template, bounds] of Object.entries(opts.pools ?? {})) {
    const settings = config.templates[template];
    if (!settings)
      throw new Error(`BERTH_POOL_TARGETS names template "${template}", which is not configured`);
    settings.pool = bounds;
  }

  const steps = {} as Record<ProvisionStepName, (state: unknown) => Promise<unknown>>;
  const provisioner = new LocalProvisioner(steps, serviceLogger(core.logger), {
    ...(opts.concurrentStarts ? { concurrentStarts: opts.concurrentStarts } : {}),
  });
  const refill = coalesced(
    async () => void (await refillPool(deps)),
    (e) => core.logger.error('pool refill failed', { error: e as Error }),
  );
  const refillAfterClaims = afterQuiet(() => refill.request(), REFILL_AFTER_CLAIMS);
  const deadlineObservers = { log: serviceLogger(core.logger), metrics: serviceMetrics(core.metrics) };
  const storeDeadlines = { ...deadlineObservers, unavailableWhen: isAwsUnavailable };
  const deps: AppDeps = {
    // This host is the table's only writer, so a write-through cache is exact (core/store/write-through-cache.ts).
    // Deadlines inside the cache: a stalled DynamoDB Local answers 503 quickly, and cached reads still serve.
    store: new WriteThroughCache(
      storeWithDeadlines(new DynamoWorkspaceStore({ tableName, clientConfig }), config, storeDeadlines),
    ),
    runtime: runtimeWithDeadlines(workspaceRuntime, config, deadlineObservers),
    blobs: blobsWithDeadlines(new FsBlobStore(join(opts.stateDir, 'blobs')), config, deadlineObservers),
    workspaceAgent,
    agentTokens: new SignedAgentTokens(agentSigningKey, { clock: systemClock }),
    provisioner,
    clock: systemClock,
    config,
    log: serviceLogger(core.logger),
    metrics: serviceMetrics(core.metrics),
    tenants: StaticTenantResolver.parse(opts.apiKeys),
    // This host is its own stop worker: stops and hibernations finish before the call that began them answers.
    stopper: inProcessStopper(() => deps),
    startGate: provisioner.gate,
    poolRefiller: { request: async () => refillAfterClaims.request() },
    ...(egress ? { egress } : {}),
  };
  const getDeps = () => deps;
  for (const step of [...PROVISION_STEPS, 'MarkFailed'] as const) {
    const handler = createProvisionStepHandler(step, getDeps, observe('berth-provision'));
    steps[step] = (state) => handler(state as never, localLambdaContext(`provision-${step}`));
  }
  const apiObservability = observe('berth-api');
  const api = (streaming: boolean) =>
    createApiHandler(getDeps, {
      routes: apiRoutes,
      streaming,
      maxBodyBytes: config.maxBodyBytes,
      observability: apiObservability,
    });
  const apiHandlers: ApiHandlers = {
    buffered: api(false) as unknown as BufferedApiHandler,
    streaming: api(true) as unknown as StreamingApiHandler,
  };
  const taskStopped = createTaskStoppedHandler(getDeps, observe('berth-task-state'));
  const sweepHandler = createSweepHandler(getDeps, observe('berth-sweep'));

  // Provisionings of a previous process that died with it: failed now, before anything is served.
  await failInterruptedProvisioning(deps);
  await failUnsoundWorkspaces(deps, unsound);

  const server = await startApiServer({
    handlers: apiHandlers,
    maxBodyBytes: config.maxBodyBytes,
    port: opts.port ?? 8787,
    host: opts.host ?? '127.0.0.1',
    logger: core.logger,
  });

  const events: DockerEventSubscription = await subscribeDockerEvents({
    docker: runtime.docker,
    labelPrefix: runtime.labelPrefix,
    instance: runtime.instance,
    onEvent: (e) => {
      void toTaskStopped(runtime, e, deps.log)
        .then(async (stopped) => {
          if (!stopped) return;
          // Before the workspace is failed (and its conversation freed): keep its files for the successor.
          await salvageFiles(deps, (id) => runtime.dirs(id).files, e.workspaceId, e.taskRef).catch(
            (err: unknown) =>
              core.logger.error('salvaging the files of a dead workspace failed', {
                workspaceId: e.workspaceId,
                error: err as Error,
              }),
          );
          await taskStopped(stopped, localLambdaContext('task-state'));
        })
        .catch((err: unknown) => core.logger.error('task-state handling failed', { error: err as Error }));
    },
    onError: (err) => core.logger.warn('docker events stream error', { error: err.message }),
  });

  let sweeping: Promise<SweepReport> | undefined;
  const sweepNow = () =>
    (sweeping ??= sweepHandler({}, localLambdaContext('sweep')).finally(() => (sweeping = undefined)));
  // Catch up on whatever happened while the host was down (containers that died, leases that ran out).
  await sweepNow().catch((e: unknown) => core.logger.error('initial sweep failed', { error: e as Error }));
  refill.request();
  const endedDirs = new EndedWorkspaceDirs({
    workspacesDir: join(opts.stateDir, 'workspaces'),
    deps,
    remove: (id) => runtime.removeWorkspaceDirs(id),
    graceMs: config.taskEventGraceMs,
  });
  const timer = setInterval(() => {
    sweepNow()
      .then(() => endedDirs.collect())
      .catch((e: unknown) => core.logger.error('sweep failed', { error: e as Error }))
      .finally(() => refill.request());
  }, sweepIntervalMs);
  timer.unref();

  return {
    url: server.url,
    deps,
    runtime,
    egress,
    provisioner,
    sweepNow,
    refillNow: async () => {
      refill.request();
      await refill.settled();
    },
    async close() {
      clearInterval(timer);
      refillAfterClaims.cancel();
      events.close();
      await server.close();
      await refill.settled();
      await provisioner.drain();
      await sweeping?.catch(() => undefined);
      // Workspaces keep running without a way out until the next start reattaches their proxies.
      await egress?.close();
      workspaceAgent.close();
      await dynamo?.stop();
      for (const m of allMetrics) m.flush();
    },
  };
}

import { noMetrics, silentLogger, systemClock, type ServiceMetrics } from '@berth/core';
import type { AppDeps, DepsProvider } from '../app-deps.js';
import { assertNoneMissing, berthConfigFrom, type Env } from './aws-env.js';
import type { PortWiring } from './aws-ports.js';

/** The ports a function may wire; clock, config, logger and metrics every function has. */
export type Wiring = {
  [K in
    | 'store'
    | 'blobs'
    | 'runtime'
    | 'provisioner'
    | 'workspaceAgent'
    | 'agentTokens'
    | 'tenants'
    | 'stopper'
    | 'egress'
    | 'startGate'
    | 'poolRefiller']?: PortWiring<K>;
};

/**
 * A port this function does not wire. The core services take every port, but a function only reaches the
 * ones its work touches; reaching another is a wiring bug, said loudly rather than bundled for nothing.
 */
function unwired<T>(port: string): T {
  return new Proxy({} as object, {
    get(_, prop) {
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      throw new Error(`${port}.${prop}: this function does not wire ${port} (functions/src/lambda/*.ts)`);
    },
  }) as T;
}

/**
 * The ports of `wiring` from the environment (one error naming every missing variable), the rest unwired.
 * `metrics` are the handler's, for a port that counts something itself.
 */
export async function depsFromEnv(
  wiring: Wiring,
  env: Env,
  metrics: ServiceMetrics = noMetrics,
): Promise<AppDeps> {
  const ports = Object.entries(wiring) as [keyof Wiring, PortWiring<keyof Wiring>][];
  assertNoneMissing(ports.flatMap(([, w]) => w.missing(env)));
  const config = berthConfigFrom(env);
  const built = Object.fromEntries(
    await Promise.all(ports.map(async ([name, w]) => [name, await w.build(env, config, metrics)])),
  ) as Partial<AppDeps>;
  const port = <K extends keyof Wiring>(name: K): AppDeps[K] => built[name] ?? unwired<AppDeps[K]>(name);
  return {
    store: port('store'),
    blobs: port('blobs'),
    runtime: port('runtime'),
    provisioner: port('provisioner'),
    workspaceAgent: port('workspaceAgent'),
    agentTokens: port('agentTokens'),
    tenants: port('tenants'),
    stopper: port('stopper'),
    // Optional too: without one, PUT /egress answers 422 and no proxy is admitted.
    ...(built.egress && { egress: built.egress }),
    // Optional too: without a gate every start goes at once; without a refiller only the schedule refills.
    ...(built.startGate && { startGate: built.startGate }),
    ...(built.poolRefiller && { poolRefiller: built.poolRefiller }),
    clock: systemClock,
    config,
    // Replaced per handler by its Powertools logger and metrics (handlers/lazy.ts).
    log: silentLogger,
    metrics: noMetrics,
  };
}

/** What an entry point hands its factory: its ports, built on first use, once per cold start. */
export const lambdaDeps =
  (wiring: Wiring): DepsProvider =>
  (handler) =>
    depsFromEnv(wiring, process.env, handler?.metrics);

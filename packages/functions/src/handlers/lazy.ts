import type { AppDeps, DepsProvider } from '../app-deps.js';
import { serviceLogger, serviceMetrics, type HandlerObservability } from '../observability.js';

/** Builds a value once, on first use (a Lambda builds its clients on the cold start, not at import). */
export function lazy<T>(make: () => T | Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= Promise.resolve().then(make);
    // A failed build is retried on the next call rather than cached forever.
    value.catch(() => (value = undefined));
    return value;
  };
}

/**
 * The dependencies a handler hands to the core services: built once, with the handler's own Powertools
 * logger and metrics, so service log lines carry the keys the handler appended (tenant, workspace,
 * request) and service metrics carry the function's `service` dimension.
 */
export function handlerDeps(
  getDeps: DepsProvider,
  { logger, metrics }: HandlerObservability,
): () => Promise<AppDeps> {
  return lazy(async () => {
    const handlerMetrics = serviceMetrics(metrics);
    return {
      ...(await getDeps({ metrics: handlerMetrics })),
      log: serviceLogger(logger),
      metrics: handlerMetrics,
    };
  });
}

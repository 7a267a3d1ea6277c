import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ServiceLogger, ServiceMetrics } from '@berth/core';

/** One Logger and one Metrics per function, as Powertools wants; namespace and service are Berth's. */
export interface HandlerObservability {
  logger: Logger;
  metrics: Metrics;
}

export function createObservability(serviceName: string): HandlerObservability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Berth', serviceName }),
  };
}

/** The core services log through Powertools: structured JSON with the function's persistent keys. */
export const serviceLogger = (logger: Logger): ServiceLogger => ({
  info: (message, attributes) => logger.info(message, attributes ?? {}),
  warn: (message, attributes) => logger.warn(message, attributes ?? {}),
  error: (message, attributes) => logger.error(message, attributes ?? {}),
});

/** The core services' counters and timings as EMF metrics. */
export const serviceMetrics = (metrics: Metrics): ServiceMetrics => ({
  count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
  duration: (name, ms) => metrics.addMetric(name, MetricUnit.Milliseconds, ms),
});

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** One finished request, as metrics see it. */
export interface RequestOutcome {
  blocked: boolean;
  upstreamError: boolean;
  latencyMs: number;
}

/** Request metrics; the default publishes CloudWatch EMF lines to stdout. */
export interface ProxyMetrics {
  record(outcome: RequestOutcome): void;
  /** Publishes what has accumulated (no line when nothing happened). */
  flush(): void;
}

/** Discards everything (tests, or when metrics are not wanted). */
export const noProxyMetrics: ProxyMetrics = { record() {}, flush() {} };

// Powertools publishes on its own once a metric holds 100 values; keep latencies below that.
const MAX_LATENCY_SAMPLES = 99;

/**
 * EMF metrics in namespace `Berth`, service `serviceName` (the sidecar's `proxy-sidecar` by default; the
 * gateway names its own): `requests`, `blocked`, `upstreamErrors` (counts summed per flush) and `latency`
 * (milliseconds, one value per request, up to 99 per flush — further values in the same window are left
 * out of the distribution, counts stay exact).
 */
export function emfMetrics(serviceName = 'proxy-sidecar'): ProxyMetrics {
  const metrics = new Metrics({ namespace: 'Berth', serviceName });
  let requests = 0;
  let blocked = 0;
  let upstreamErrors = 0;
  let samples = 0;
  return {
    record(outcome) {
      requests += 1;
      if (outcome.blocked) blocked += 1;
      if (outcome.upstreamError) upstreamErrors += 1;
      if (samples < MAX_LATENCY_SAMPLES) {
        samples += 1;
        metrics.addMetric('latency', MetricUnit.Milliseconds, Math.round(outcome.latencyMs * 1000) / 1000);
      }
    },
    flush() {
      if (requests === 0) return;
      metrics.addMetric('requests', MetricUnit.Count, requests);
      metrics.addMetric('blocked', MetricUnit.Count, blocked);
      metrics.addMetric('upstreamErrors', MetricUnit.Count, upstreamErrors);
      metrics.publishStoredMetrics();
      requests = blocked = upstreamErrors = samples = 0;
    },
  };
}

import { Metrics } from '@aws-lambda-powertools/metrics';

type MetricsOptions = ConstructorParameters<typeof Metrics>[0];
type AddMetric = Metrics['addMetric'];

/** EMF allows 100 values per metric and 100 metrics per line; flushing before 100 values keeps within both. */
const MAX_VALUES_PER_LINE = 99;

/**
 * Powertools Metrics that writes at most one EMF line per `intervalMs` instead of one per request. A Lambda
 * must flush per invocation (it may be frozen right after); the local host lives on, so it batches: the same
 * values, as EMF value arrays, for a fraction of the per-request cost. `flush()` writes what is pending (the
 * host calls it on close).
 */
export class CoalescedMetrics extends Metrics {
  private pendingValues = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    options: MetricsOptions,
    private readonly intervalMs = 1000,
  ) {
    super(options);
  }

  override addMetric(...args: Parameters<AddMetric>): this {
    if (this.pendingValues >= MAX_VALUES_PER_LINE) this.flush();
    super.addMetric(...args);
    this.pendingValues++;
    return this;
  }

  override publishStoredMetrics(): this {
    // Nothing stored: as the base class (its warning included); otherwise write within intervalMs.
    if (!this.hasStoredMetrics()) return super.publishStoredMetrics();
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
    return this;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingValues = 0;
    if (this.hasStoredMetrics()) super.publishStoredMetrics();
  }
}

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoalescedMetrics } from '../../src/host/coalesced-metrics.js';

/** EMF lines the metrics wrote, parsed. */
function capture(m: CoalescedMetrics) {
  const lines: Record<string, unknown>[] = [];
  vi.spyOn((m as unknown as { console: Console }).console, 'log').mockImplementation((line: string) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return lines;
}

const make = () => new CoalescedMetrics({ namespace: 'Test', serviceName: 'svc' }, 1000);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('CoalescedMetrics', () => {
  it('writes the values of many publishes as one EMF line within the interval', () => {
    vi.useFakeTimers();
    const m = make();
    const lines = capture(m);
    for (let i = 1; i <= 3; i++) {
      m.addMetric('ApiLatency', MetricUnit.Milliseconds, i);
      m.addMetric('ApiRequests', MetricUnit.Count, 1);
      m.publishStoredMetrics();
    }
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ ApiLatency: [1, 2, 3], ApiRequests: [1, 1, 1], service: 'svc' });
  });

  it('never puts 100 values in one line (EMF limit): it flushes before', () => {
    vi.useFakeTimers();
    const m = make();
    const lines = capture(m);
    for (let i = 0; i < 150; i++) m.addMetric('CommandLatency', MetricUnit.Milliseconds, i);
    m.flush();
    expect(lines.map((l) => (l.CommandLatency as number[]).length)).toEqual([99, 51]);
    expect(lines.flatMap((l) => l.CommandLatency as number[])).toEqual([...Array(150).keys()]);
  });

  it('flush() writes what is pending at once, and nothing when nothing is', () => {
    const m = make();
    const lines = capture(m);
    m.flush();
    expect(lines).toEqual([]);
    m.addMetric('WorkspaceStopped', MetricUnit.Count, 1);
    m.publishStoredMetrics();
    m.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ WorkspaceStopped: 1 });
  });
});

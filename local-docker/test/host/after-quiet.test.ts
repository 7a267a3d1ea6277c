import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { afterQuiet } from '../../src/host/after-quiet.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('afterQuiet', () => {
  it('runs once requests pause, once for the whole run of them', () => {
    const fn = vi.fn();
    const q = afterQuiet(fn, { quietMs: 250, maxDelayMs: 2000 });
    for (let i = 0; i < 5; i++) {
      q.request();
      vi.advanceTimersByTime(100);
    }
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(250);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('runs by the latest delay under requests that never pause', () => {
    const fn = vi.fn();
    const q = afterQuiet(fn, { quietMs: 250, maxDelayMs: 2000 });
    for (let t = 0; t < 2000; t += 100) {
      q.request();
      vi.advanceTimersByTime(100);
    }
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('runs nothing once cancelled', () => {
    const fn = vi.fn();
    const q = afterQuiet(fn, { quietMs: 250, maxDelayMs: 2000 });
    q.request();
    q.cancel();
    vi.advanceTimersByTime(5000);
    expect(fn).not.toHaveBeenCalled();
  });
});

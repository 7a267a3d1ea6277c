import { describe, expect, it } from 'vitest';
import { coalesced } from '@berth/core';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('coalesced', () => {
  it('runs at once when idle; requests during a run make one more run after it', async () => {
    const gates = [gate(), gate()];
    let runs = 0;
    const task = coalesced(
      () => gates[runs++]?.opened ?? Promise.resolve(),
      () => {},
    );
    task.request();
    expect(runs).toBe(1);
    task.request();
    task.request();
    task.request();
    expect(runs).toBe(1); // in flight: the three wait as one
    gates[0]!.open();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    task.request(); // during the second run: one more
    gates[1]!.open();
    await task.settled();
    expect(runs).toBe(3);
    task.request();
    await task.settled();
    expect(runs).toBe(4);
  });

  it('a failed run goes to onError, and the next request runs again', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = coalesced(
      async () => {
        runs++;
        throw new Error(`run ${runs}`);
      },
      (e) => errors.push(e),
    );
    task.request();
    await task.settled();
    task.request();
    await task.settled();
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['run 1', 'run 2']);
  });

  it('settled resolves at once when nothing was asked', async () => {
    await coalesced(
      () => Promise.resolve(),
      () => {},
    ).settled();
  });
});

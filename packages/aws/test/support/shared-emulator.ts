import { afterAll, beforeAll } from 'vitest';

/**
 * One emulator per test process, shared by every suite that asks for it: started by the first suite's
 * beforeAll, stopped by the last one's afterAll.
 */
export function sharedEmulator<T extends { stop(): Promise<void> }>(start: () => Promise<T>): () => T {
  let started: Promise<T> | undefined;
  let users = 0;
  let current: T | undefined;
  return function use(): T {
    beforeAll(async () => {
      users++;
      started ??= start();
      current = await started;
    });
    afterAll(async () => {
      if (--users > 0 || !started) return;
      const s = started;
      started = undefined;
      current = undefined;
      await (await s).stop();
    });
    return new Proxy({} as T, {
      get(_t, prop) {
        if (!current) throw new Error('emulator used outside of a test (it starts in beforeAll)');
        return Reflect.get(current, prop);
      },
    });
  } as () => T;
}

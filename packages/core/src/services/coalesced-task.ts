/** A task run on request, coalesced (see `coalesced`). */
export interface CoalescedTask {
  /** Asks for a run; never throws (failures go to `onError`). */
  request(): void;
  /** Resolves once no run is in flight or queued. */
  settled(): Promise<void>;
}

/**
 * Runs `task` on request with at most one run in flight and at most one queued behind it: requests made
 * while a run is in flight collapse into one more run, which starts after all of them and so sees whatever
 * they asked for. A burst of N requests costs at most two runs, however long each takes.
 */
export function coalesced(task: () => Promise<void>, onError: (e: unknown) => void): CoalescedTask {
  let running: Promise<void> | null = null;
  let queued = false;

  const drain = async () => {
    do {
      queued = false;
      try {
        await task();
      } catch (e) {
        onError(e);
      }
    } while (queued);
    running = null;
  };

  return {
    request() {
      if (running) queued = true;
      else running = drain();
    },
    async settled() {
      while (running) await running;
    },
  };
}

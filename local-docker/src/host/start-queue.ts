/**
 * First come, first served turns for at most `concurrency` holders at once. Turns are held for a whole
 * provisioning (container start, agent boot, restore), since that is what contends for one machine's engine
 * and CPUs: in a burst the first requests get ready first instead of all of them together, late. Background
 * turns (warm pool members) are served only when no foreground one (a tenant's start) waits, and a tenant's
 * wait ahead (`backlogMs`, what admission refuses on) counts only foreground turns.
 */
export class StartQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly waitingBackground: (() => void)[] = [];
  /** Moving average of how long a turn is held, for the backlog estimate. */
  private averageTurnMs = 500;

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be ≥ 1');
  }

  /** Waits for a turn; the answer ends it (calling it twice ends it once). */
  async take(opts: { background?: boolean } = {}): Promise<() => void> {
    const line = opts.background ? this.waitingBackground : this.waiting;
    if (this.active < this.concurrency) this.active++;
    else await new Promise<void>((resolve) => line.push(resolve));
    const started = performance.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.averageTurnMs = 0.8 * this.averageTurnMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift() ?? this.waitingBackground.shift();
      // The turn passes straight to the next in line: `active` stays as it is.
      if (next) next();
      else this.active--;
    };
  }

  /** How long a tenant's turn asked for now would wait: the tenants ahead, served `concurrency` at a time. */
  backlogMs(): number {
    return Math.ceil((this.waiting.length / this.concurrency) * this.averageTurnMs);
  }

  get queued(): number {
    return this.waiting.length + this.waitingBackground.length;
  }
}

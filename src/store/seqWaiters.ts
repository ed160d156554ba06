// Promises that settle once something reaches a seq: a local mirror catching up with its stream, read models
// catching up with the log (a writer that lost a race must see what the winner wrote before it decides again).
export class SeqWaiters {
  private waiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private failure: Error | null = null;

  constructor(private readonly current: () => number) {}

  /**
   * Resolves once the current seq is at least `seq` (at once if it is already); rejects if it never will, or
   * when `signal` aborts first (the waiter is then forgotten, so abandoned waits hold no memory).
   */
  until(seq: number, signal?: AbortSignal): Promise<void> {
    if (this.current() >= seq) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Whether anyone waits for a seq not reached yet. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Call after the seq moved. */
  advanced(): void {
    if (this.waiters.length === 0) return;
    const seq = this.current();
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq <= seq) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** The seq will not move again: every waiter, now and later, is told why. */
  fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}

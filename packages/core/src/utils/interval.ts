/** Raised by `tick()` on an interval that was closed with `close()`. */
export class IntervalClosedError extends Error {
  override name = 'IntervalClosedError';

  constructor() {
    super('interval is closed');
  }
}

export interface IntervalOptions {
  /** Aborting closes the interval; a waiting and any later `tick()` reject with its reason. */
  signal?: AbortSignal;
}

/**
 * Timers fire a little after their deadline. A tick this close to its deadline counts
 * as on time, so the next one is scheduled from the deadline and the cadence does not
 * drift; a later tick is "missed" and the schedule restarts from when it fired.
 */
const TIMER_SLACK_MS = 5;

interface PendingTick {
  resolve: (count: number) => void;
  reject: (error: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A periodic tick to await, for loops that must run every `ms` (pacing audio frames,
 * keep-alive pings). The first tick is immediate; each later one comes `ms` after the
 * previous. Missed ticks are not made up in a burst: a late tick fires once and the
 * next waits a full period after it.
 *
 * A timer runs only while a `tick()` is waiting, so breaking out of a `for await`
 * leaves nothing running.
 */
export class Interval {
  readonly periodMs: number;
  #ticks = 0;
  /** When the last tick was due (or fired, if it was missed), on `performance.now()`. */
  #lastTickAt: number | undefined;
  #pending: PendingTick | undefined;
  #closeReason: unknown;
  #closed = false;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#shutdown(this.#signal!.reason);

  constructor(ms: number, options: IntervalOptions = {}) {
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new TypeError(`Interval period must be a positive number of ms, got ${ms}`);
    }
    this.periodMs = ms;
    this.#signal = options.signal;
    if (this.#signal?.aborted) this.#shutdown(this.#signal.reason);
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Ticks fired so far. */
  get ticks(): number {
    return this.#ticks;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves at the next tick with the tick count (1 for the first). One caller at a
   * time: a second `tick()` while one is waiting throws, as it would steal ticks.
   */
  tick(): Promise<number> {
    if (this.#closed) return Promise.reject(this.#closeReason);
    if (this.#pending) {
      return Promise.reject(new Error('Interval.tick() called while another tick is waiting'));
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#schedule();
    });
  }

  /** Restarts the period: the next tick comes `ms` from now, even if one is waiting. */
  reset(): void {
    this.#lastTickAt = performance.now();
    if (this.#pending) this.#schedule();
  }

  /** Stops the interval; a waiting and any later `tick()` reject with `IntervalClosedError`. */
  close(): void {
    this.#shutdown(new IntervalClosedError());
  }

  /** Yields tick counts until the interval is closed or its signal aborts, then ends. */
  async *[Symbol.asyncIterator](): AsyncGenerator<number, void, undefined> {
    while (true) {
      let count: number;
      try {
        count = await this.tick();
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      yield count;
    }
  }

  #schedule(): void {
    const pending = this.#pending!;
    clearTimeout(pending.timer);
    const now = performance.now();
    const due = this.#lastTickAt === undefined ? now : this.#lastTickAt + this.periodMs;
    if (due <= now) this.#fire(due);
    else pending.timer = setTimeout(() => this.#fire(due), due - now);
  }

  #fire(due: number): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    const now = performance.now();
    const slack = Math.min(TIMER_SLACK_MS, this.periodMs / 2);
    this.#lastTickAt = now - due <= slack ? due : now;
    this.#ticks++;
    pending.resolve(this.#ticks);
  }

  #shutdown(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(reason);
    }
  }
}

/** Shorthand for `new Interval(ms, options)`. */
export function interval(ms: number, options?: IntervalOptions): Interval {
  return new Interval(ms, options);
}

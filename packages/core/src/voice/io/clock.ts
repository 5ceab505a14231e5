/**
 * The time source of a binding: `now()` in ms (monotonic) and timers. Bindings
 * pace audio on it, so the same code runs in real time (`realClock`) or on a
 * `VirtualClock` a test advances by hand, where an hour of conversation takes
 * milliseconds and every timing is exact.
 */
export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; the returned function cancels it (idempotent). */
  setTimer(ms: number, callback: () => void): () => void;
}

/** `performance.now()` and Node's timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, callback) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

interface VirtualTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that moves only when told: `advance(ms)` runs the timers that fall
 * due, in time order, letting promise callbacks settle after each, so code
 * awaiting a timer sees it as it would in real time.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<VirtualTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Timers set and not yet run or cancelled (a closed binding leaves none). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.add(timer);
    return () => void this.#timers.delete(timer);
  }

  /** Moves time forward by `ms`, running each timer at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let timer = this.#next(end); timer; timer = this.#next(end)) {
      this.#timers.delete(timer);
      this.#now = timer.at;
      timer.callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #next(end: number): VirtualTimer | undefined {
    let next: VirtualTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > end) continue;
      if (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) {
        next = timer;
      }
    }
    return next;
  }
}

/** Lets pending promise callbacks (and what they chain) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

import type { VoiceIO } from './io.js';

/** The one clock of an assistant: every anchor, timer and metric reads it. */
export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; the returned function cancels it (idempotent). */
  setTimer(ms: number, callback: () => void): () => void;
}

export function clockFor(io: Pick<VoiceIO, 'now' | 'setTimer'>): Clock {
  const now = io.now ?? (() => performance.now());
  const setTimer =
    io.setTimer ??
    ((ms: number, callback: () => void) => {
      const timer = setTimeout(callback, Math.max(0, ms));
      return () => clearTimeout(timer);
    });
  return { now, setTimer };
}

/**
 * One timer slot: setting it replaces the pending one, so a state machine
 * never has two of the same kind running.
 */
export class TimerSlot {
  readonly #clock: Clock;
  #cancel: (() => void) | undefined;
  #generation = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  set(ms: number, callback: () => void): void {
    this.clear();
    const generation = ++this.#generation;
    let fired = false;
    const cancel = this.#clock.setTimer(ms, () => {
      if (generation !== this.#generation) return;
      fired = true;
      this.#cancel = undefined;
      callback();
    });
    if (!fired) this.#cancel = cancel;
  }

  clear(): void {
    const cancel = this.#cancel;
    this.#cancel = undefined;
    this.#generation++;
    cancel?.();
  }
}

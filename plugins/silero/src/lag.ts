/** When the pushed audio reached a given length. */
interface PushMark {
  audioEnd: number;
  at: number;
}

/** Enough for minutes of 10 ms frames; past it the oldest half goes (only after drops). */
const MAX_MARKS = 8192;

/**
 * How long audio waits between being pushed and going through inference. The VAD is behind
 * real time when that wait grows: the CPU is overloaded, or the event loop is busy elsewhere.
 * Audio times are seconds from the start of the stream; wall times are `performance.now()`.
 */
export class LagMonitor {
  #marks: PushMark[] = [];
  #head = 0;

  /** Records that the pushed audio now ends at `audioEnd`. */
  pushed(audioEnd: number, at = performance.now()): void {
    this.#marks.push({ audioEnd, at });
    if (this.#marks.length - this.#head > MAX_MARKS) this.#head += MAX_MARKS / 2;
    this.#compact();
  }

  /** Seconds since the push that brought the audio at `audioTime`; 0 if it is unknown. */
  lagAt(audioTime: number, now = performance.now()): number {
    // Marks of audio already processed are no longer needed.
    while (this.#head < this.#marks.length && this.#marks[this.#head]!.audioEnd < audioTime) {
      this.#head++;
    }
    this.#compact();
    const mark = this.#marks[this.#head];
    return mark ? Math.max(0, (now - mark.at) / 1000) : 0;
  }

  #compact(): void {
    // Drop consumed marks in batches rather than shifting the array on every window.
    if (this.#head > 1024 && this.#head * 2 > this.#marks.length) {
      this.#marks = this.#marks.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Lets a warning through at most once per interval, however many streams share it. */
export class Throttle {
  readonly intervalMs: number;
  #last = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  allow(now = performance.now()): boolean {
    if (now - this.#last < this.intervalMs) return false;
    this.#last = now;
    return true;
  }
}

/**
 * The mean of the last `windowSize` samples, in O(1) per sample. The running sum is
 * recomputed from the window each time the ring buffer wraps, so rounding errors from
 * adding and subtracting cannot pile up over millions of samples.
 */
export class MovingAverage {
  readonly windowSize: number;
  readonly #samples: Float64Array;
  /** Where the next sample goes; once the window is full, also the oldest sample. */
  #next = 0;
  #size = 0;
  #sum = 0;

  constructor(windowSize: number) {
    if (!Number.isInteger(windowSize) || windowSize <= 0) {
      throw new RangeError(`MovingAverage window must be a positive integer, got ${windowSize}`);
    }
    this.windowSize = windowSize;
    this.#samples = new Float64Array(windowSize);
  }

  /** Samples in the window now: the samples added so far, up to `windowSize`. */
  get size(): number {
    return this.#size;
  }

  /** Mean of the samples in the window; 0 when there are none. */
  get average(): number {
    return this.#size === 0 ? 0 : this.#sum / this.#size;
  }

  addSample(sample: number): void {
    if (this.#size === this.windowSize) this.#sum -= this.#samples[this.#next]!;
    else this.#size++;
    this.#samples[this.#next] = sample;
    this.#sum += sample;
    this.#next = (this.#next + 1) % this.windowSize;
    if (this.#next === 0) this.#sum = this.#samples.reduce((sum, x) => sum + x, 0);
  }

  reset(): void {
    this.#samples.fill(0);
    this.#next = 0;
    this.#size = 0;
    this.#sum = 0;
  }
}

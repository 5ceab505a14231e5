/**
 * A time series kept at a fixed resolution: each bucket holds the largest value
 * reported in it. When it would outgrow `maxBuckets`, neighbouring buckets merge
 * (the resolution halves), so a long call costs bounded memory and still covers
 * its whole length.
 */
export class Buckets {
  #start: number | undefined;
  #size: number;
  readonly #max: number;
  /** -1: nothing reported in that bucket. */
  #values: number[] = [];

  constructor(bucketMs: number, maxBuckets: number) {
    if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be above 0 (got ${bucketMs})`);
    if (!Number.isInteger(maxBuckets) || maxBuckets < 2) {
      throw new RangeError(`maxBuckets must be an integer >= 2 (got ${maxBuckets})`);
    }
    this.#size = bucketMs;
    this.#max = maxBuckets;
  }

  /** Reports `value` (>= 0) over [at, at + durationMs). */
  add(at: number, value: number, durationMs = 0): void {
    if (!Number.isFinite(at) || !(value >= 0)) return;
    this.#start ??= Math.floor(at / this.#size) * this.#size;
    const end = at + Math.max(0, durationMs);
    let first = Math.floor((at - this.#start) / this.#size);
    // Before the first bucket: a late report of the past, not worth moving the origin for.
    if (first < 0) first = 0;
    let last = Math.max(first, Math.ceil((end - this.#start) / this.#size) - 1);
    while (last >= this.#max) {
      this.#coarsen();
      first = Math.max(0, Math.floor((at - this.#start) / this.#size));
      last = Math.max(first, Math.ceil((end - this.#start) / this.#size) - 1);
    }
    while (this.#values.length <= last) this.#values.push(-1);
    for (let i = first; i <= last; i++) {
      if (value > this.#values[i]!) this.#values[i] = value;
    }
  }

  get bucketMs(): number {
    return this.#size;
  }

  /** Start time of bucket 0 (undefined while empty). */
  get start(): number | undefined {
    return this.#start;
  }

  /** The buckets' values (-1 where nothing was reported). */
  get values(): readonly number[] {
    return this.#values;
  }

  #coarsen(): void {
    const merged: number[] = [];
    for (let i = 0; i < this.#values.length; i += 2) {
      merged.push(Math.max(this.#values[i]!, this.#values[i + 1] ?? -1));
    }
    this.#values = merged;
    this.#size *= 2;
  }
}

/**
 * Exponential smoothing for values sampled at uneven times (speaking rates, levels).
 * Each sample carries an exponent, usually the time since the previous sample in
 * units of the nominal period, so a late sample moves the value further.
 */
export class ExpFilter {
  #alpha: number;
  readonly #maxValue: number | undefined;
  #value: number | undefined;

  /**
   * `alpha` in (0, 1] is the weight the old value keeps per unit of exponent: near 1
   * smooths heavily, 1 never moves off the first sample. Values are capped at `maxValue`.
   */
  constructor(alpha: number, maxValue?: number) {
    this.#alpha = checkAlpha(alpha);
    this.#maxValue = maxValue;
  }

  /** The filtered value; undefined until the first sample. */
  get value(): number | undefined {
    return this.#value;
  }

  get alpha(): number {
    return this.#alpha;
  }

  /** Folds in `sample`, weighting the old value by `alpha ** exp`; returns the new value. */
  apply(exp: number, sample: number): number {
    let value = sample;
    if (this.#value !== undefined) {
      const keep = this.#alpha ** exp;
      value = keep * this.#value + (1 - keep) * sample;
    }
    if (this.#maxValue !== undefined && value > this.#maxValue) value = this.#maxValue;
    this.#value = value;
    return value;
  }

  /** Forgets the value, so the next sample starts afresh; optionally changes `alpha`. */
  reset(alpha?: number): void {
    if (alpha !== undefined) this.#alpha = checkAlpha(alpha);
    this.#value = undefined;
  }
}

function checkAlpha(alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) {
    throw new RangeError(`ExpFilter alpha must be in (0, 1], got ${alpha}`);
  }
  return alpha;
}

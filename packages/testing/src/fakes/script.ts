/** A scripted fake was used in a way its script did not foresee. */
export class ScriptError extends Error {
  override name = 'ScriptError';
}

/**
 * The steps a fake plays back, one per call. A call beyond the script, or a
 * step never used by the end of the test (`assertDone()`), is an error: a
 * test says exactly what it expects the code under test to ask for.
 */
export class Script<Step> {
  readonly #owner: string;
  readonly #steps: readonly Step[];
  #used = 0;

  constructor(owner: string, steps: readonly Step[] = []) {
    this.#owner = owner;
    this.#steps = steps;
  }

  /** The next step, for a call described by `call` (used in the error). */
  next(call: string): Step {
    const step = this.#steps[this.#used];
    if (step === undefined) {
      throw new ScriptError(
        `${this.#owner}: unexpected ${call} (call ${this.#used + 1}; the script has ` +
          `${this.#steps.length} step${this.#steps.length === 1 ? '' : 's'})`,
      );
    }
    this.#used += 1;
    return step;
  }

  get remaining(): number {
    return this.#steps.length - this.#used;
  }

  assertDone(): void {
    if (this.remaining > 0) {
      throw new ScriptError(
        `${this.#owner}: ${this.remaining} scripted step${this.remaining === 1 ? ' was' : 's were'} ` +
          `never used: ${JSON.stringify(this.#steps.slice(this.#used)).slice(0, 200)}`,
      );
    }
  }
}

/**
 * A promise with its `resolve` and `reject` on the outside, for handing a result from
 * one callback to another. Only the first `resolve` or `reject` counts; later calls
 * return false and change nothing, so racing producers need no extra bookkeeping.
 */
export class Future<T = void> {
  /** Settles once, with the first `resolve` or `reject`. */
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #done = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A future is often rejected (e.g. on shutdown) before anyone awaits it. Without a
    // handler Node would treat that as an unhandled rejection and crash the process.
    // Awaiting `promise` still rejects: this handler is on a branch nobody sees.
    this.promise.catch(() => {});
  }

  /** True once resolved or rejected. */
  get done(): boolean {
    return this.#done;
  }

  /** Settles the future with `value`; false when it was already settled. */
  resolve(value: T): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#resolve(value);
    return true;
  }

  /** Settles the future with `error`; false when it was already settled. */
  reject(error: unknown): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#reject(error);
    return true;
  }
}

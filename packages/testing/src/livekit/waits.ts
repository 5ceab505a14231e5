/** A wait on the stand-in ran past its deadline. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/** The stand-in closed while a wait was pending. */
export class StandInClosedError extends Error {
  override name = 'StandInClosedError';

  constructor() {
    super('the LiveKit stand-in was closed');
  }
}

interface PendingWait {
  /** True once settled; a settled wait is out of the set. */
  poll(): boolean;
  fail(error: Error): void;
}

/**
 * Waits for a condition on the stand-in's state, each with a deadline. Rather
 * than one event per condition, every state change calls `notify()` and each
 * pending wait re-reads the state: a condition can never be missed because the
 * event it depended on fired just before the wait began.
 */
export class Waits {
  readonly #pending = new Set<PendingWait>();
  #closed = false;

  /**
   * Resolves with `check()`'s first defined result, checked now and after every
   * change; rejects with `WaitTimeoutError` after `timeoutMs`, naming `what`.
   */
  until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    if (this.#closed) return Promise.reject(new StandInClosedError());
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(wait);
        reject(new WaitTimeoutError(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const wait: PendingWait = {
        poll: () => {
          let value: T | undefined;
          try {
            value = check();
          } catch (error) {
            wait.fail(error instanceof Error ? error : new Error(String(error)));
            return true;
          }
          if (value === undefined) return false;
          clearTimeout(timer);
          this.#pending.delete(wait);
          resolve(value);
          return true;
        },
        fail: (error) => {
          clearTimeout(timer);
          this.#pending.delete(wait);
          reject(error);
        },
      };
      if (!wait.poll()) this.#pending.add(wait);
    });
  }

  /** Re-checks every pending wait; called after each change of state. */
  notify(): void {
    for (const wait of [...this.#pending]) wait.poll();
  }

  /** Rejects every pending wait, and every later one. */
  close(): void {
    this.#closed = true;
    for (const wait of [...this.#pending]) wait.fail(new StandInClosedError());
  }
}

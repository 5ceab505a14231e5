import { retryDelay } from './retry.js';

export interface BackoffOptions {
  /** Failures in a row after which `failed()` gives up (returns undefined). */
  maxRetry: number;
  /** Delay after the first failure; doubles with each failure in a row, up to `maxIntervalMs`. */
  retryIntervalMs: number;
  maxIntervalMs: number;
  /**
   * A connection must stay up this long to count as good. One that fails
   * sooner is a failure like any other, so a server that accepts and drops at
   * once exhausts `maxRetry` instead of flapping for ever.
   */
  stableAfterMs: number;
  /** Replaceable in tests. */
  now?: () => number;
  random?: () => number;
}

/**
 * The retry schedule of a long-lived connection (the worker's, a provider's
 * websocket): exponential backoff with jitter up to a cap, a limit on
 * failures in a row, and quick-failure detection. Call `connected()` when an
 * attempt succeeds and `failed(error)` when one fails or a connection is lost;
 * `failed` answers how long to wait before the next attempt, or undefined
 * when it is time to give up.
 */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #now: () => number;
  #failures = 0;
  #connectedAt: number | undefined;

  constructor(options: BackoffOptions) {
    for (const key of ['maxRetry', 'retryIntervalMs', 'maxIntervalMs', 'stableAfterMs'] as const) {
      const value = options[key];
      if (!Number.isFinite(value) || value < 0) {
        throw new TypeError(`Backoff option ${key} must be a number >= 0 (got ${String(value)})`);
      }
    }
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Failures in a row so far (a connection shorter than `stableAfterMs` does not break the row). */
  get failures(): number {
    return this.#failures;
  }

  /** An attempt succeeded: the connection is up from now. */
  connected(): void {
    this.#connectedAt = this.#now();
  }

  /**
   * An attempt failed, or the connection was lost. Returns the delay before
   * the next attempt, or undefined once `maxRetry` failures in a row are reached.
   */
  failed(error?: unknown): number | undefined {
    const upFor = this.#connectedAt === undefined ? 0 : this.#now() - this.#connectedAt;
    this.#connectedAt = undefined;
    this.#failures = upFor >= this.#options.stableAfterMs ? 1 : this.#failures + 1;
    if (this.#failures > this.#options.maxRetry) return undefined;
    return retryDelay(this.#failures, error, this.#options);
  }

  /** Starts over, as after a deliberate reconnection. */
  reset(): void {
    this.#failures = 0;
    this.#connectedAt = undefined;
  }
}

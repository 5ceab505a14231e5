import { APITimeoutError } from '@agents/core';

/**
 * The abort signal of one request attempt: it aborts when the owner's signal
 * does (the stream was closed), or when the service stays silent longer than
 * `timeoutMs` during a `within()` wait. Waits for the consumer are not
 * timed, so a slow reader never looks like a slow service.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #timeoutMs: number;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent?.reason);
  #timedOut = false;

  constructor(parent: AbortSignal | undefined, timeoutMs: number) {
    this.#parent = parent;
    this.#timeoutMs = timeoutMs;
    if (parent?.aborted) this.#onParentAbort();
    else parent?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /** Pass it to the request: it ends the HTTP exchange, socket included. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The attempt was aborted because the service was too slow. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The error to report once `timedOut`. */
  timeoutError(cause?: unknown): APITimeoutError {
    return new APITimeoutError(`OpenAI sent nothing for ${this.#timeoutMs} ms`, { cause });
  }

  /** Waits for `work` (a response, the next chunk), aborting the attempt if it takes too long. */
  async within<T>(work: PromiseLike<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(this.timeoutError());
    }, this.#timeoutMs);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops following the owner's signal; call it when the attempt is over. */
  dispose(): void {
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }
}
